import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EarlyWriteback } from '../../../../agent/release/release-dir';
import { withTimeout } from '../../../support/with-timeout';

const onLinux = process.platform === 'linux';

describe('EarlyWriteback (sync -f of the release file system, in the background)', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'deployctl-writeback-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function writeBack(dir: string): Promise<EarlyWriteback> {
    const early = new EarlyWriteback(dir);
    early.start();
    await withTimeout(early.settled(), 30_000, `sync -f ${dir}`);
    return early;
  }

  test(`a writeback that succeeds leaves the final flush to syncfs${onLinux ? '' : ' (not Linux: none runs)'}`, async () => {
    await writeFile(path.join(root, 'file'), 'data');
    expect((await writeBack(root)).failed).toBe(false);
  });

  test(`a writeback that fails (sync exits non-zero) makes the final flush fsync every file${onLinux ? '' : ' (not Linux: none runs)'}`, async () => {
    expect((await writeBack(path.join(root, 'missing'))).failed).toBe(onLinux);
  });
});
