import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { localStoreDropIn } from '../../../support/systemd-unit';
import { verifyUnit } from '../../support/systemd-verify';

/** `npm run lint`: the unit as systemd itself reads it (systemd-analyze, a Debian package). */
const repo = path.resolve(__dirname, '../../../..');
const unitPath = path.join(repo, 'infra', 'systemd', 'deploy-agent.service');

let work: string;
let text: string;

beforeAll(async () => {
  text = await readFile(unitPath, 'utf8');
});

beforeEach(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'deploy-agent-unit-'));
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('infra/systemd/deploy-agent.service under systemd-analyze verify', () => {
  it('passes without a single warning', async () => {
    const result = await verifyUnit(work, text);

    expect(result).toEqual({ code: 0, output: '' });
  });

  it('is verified strictly enough that a misspelt directive is reported', async () => {
    const result = await verifyUnit(work, text.replace('ProtectHome=yes', 'ProtectHomes=yes'));

    expect(result.output).toMatch(/Unknown key 'ProtectHomes'/);
  });

  it('accepts the drop-in install.sh writes for a directory store', async () => {
    const result = await verifyUnit(work, text, { 'local-store.conf': localStoreDropIn('/srv/releases') });

    expect(result).toEqual({ code: 0, output: '' });
  });
});
