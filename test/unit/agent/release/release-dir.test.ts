import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EarlyWriteback, syncTree } from '../../../../agent/release/release-dir';
import { withTimeout } from '../../../support/with-timeout';

const onLinux = process.platform === 'linux';

describe('EarlyWriteback (sync -f of the release file system, in the background) and syncTree', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'deployctl-writeback-'));
    await writeFile(path.join(root, 'file'), 'data');
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

  /** Runs syncTree after `early`; how many times it asked for the created paths (to fsync each). */
  async function finalFlush(early: EarlyWriteback): Promise<number> {
    let listed = 0;
    const created = (): { files: string[]; dirs: string[] } => {
      listed += 1;
      return { files: [path.join(root, 'file')], dirs: [] };
    };
    await withTimeout(syncTree(root, created, early), 30_000, `syncTree ${root}`);
    return listed;
  }

  test(`after a writeback that succeeded, the final flush is one syncfs, not an fsync per file${onLinux ? '' : ' (not Linux: fsyncs)'}`, async () => {
    const early = await writeBack(root);

    expect(early.failed).toBe(false);
    expect(await finalFlush(early)).toBe(onLinux ? 0 : 1);
  });

  test(`after a writeback that failed (sync exits non-zero), the final flush fsyncs every file${onLinux ? '' : ' (not Linux: none runs)'}`, async () => {
    const early = await writeBack(path.join(root, 'missing'));

    expect(early.failed).toBe(onLinux);
    expect(await finalFlush(early)).toBe(1);
  });
});
