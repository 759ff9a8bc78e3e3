import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { InstanceStatus } from '../../../agent/store/documents';
import { LocalStore } from '../../../agent/store/local-store';
import { lines, pushFixtures, runCli, snapshotDir } from '../../support/cli-harness';

let work: string;
let store: string;
beforeEach(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'deployctl-prune-'));
  store = path.join(work, 'store');
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

async function cli(...args: string[]) {
  return runCli([...args, '--store', store], { cwd: work });
}

const push = (...versions: string[]): Promise<void> => pushFixtures(work, store, versions);

/** A report an agent left an hour ago (stale): it may come back and serve what it ran. */
function staleReport(instanceId: string, version: string): InstanceStatus {
  return {
    instanceId,
    agentVersion: '0.1.0',
    running: version,
    desired: version,
    state: 'idle',
    workers: { ready: 2, total: 2 },
    lastDeploy: null,
    updatedAt: new Date(Date.now() - 3_600_000).toISOString(),
  };
}

const inStore = (version: string): boolean[] =>
  [`${version}.json`, `${version}.tar.gz`].map((name) => existsSync(path.join(store, 'releases', name)));

/** v1..v5 pushed, then rolled back to v1: desired v1 (the oldest), previous v5; a stale instance runs v3. */
async function fleetHistory(): Promise<void> {
  await push('v1', 'v2', 'v3', 'v4', 'v5');
  expect((await cli('rollback', 'v1')).code).toBe(0);
  await new LocalStore(store).writeInstanceStatus(staleReport('i-old', 'v3'));
}

describe('deployctl prune', () => {
  it('removes all but the N newest, never the desired, the previous or a running version', async () => {
    await fleetHistory();

    const run = await cli('prune', '--keep', '1');

    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(lines(run.stdout)).toEqual([
      expect.stringMatching(/^removed v2 \(created \S+, \d+(\.\d)? k?B\)$/),
      expect.stringMatching(/^removed v4 \(created /),
      'kept 3: v1 (desired), v3 (running on i-old), v5 (newest, previous)',
    ]);
    for (const gone of ['v2', 'v4']) expect(inStore(gone)).toEqual([false, false]);
    for (const kept of ['v1', 'v3', 'v5']) expect(inStore(kept)).toEqual([true, true]);
  });

  it('--dry-run says what it would remove and changes nothing', async () => {
    await fleetHistory();
    const before = await snapshotDir(store);

    const run = await cli('prune', '--keep', '1', '--dry-run');

    expect(run.code).toBe(0);
    expect(lines(run.stdout).filter((l) => l.startsWith('would remove ')).map((l) => l.split(' ')[2])).toEqual(['v2', 'v4']);
    expect(await snapshotDir(store)).toEqual(before);
  });

  it('--json lists what was removed and why the rest was kept', async () => {
    await fleetHistory();

    const run = await cli('prune', '--keep', '2', '--json');

    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      ok: true,
      dryRun: false,
      removed: ['v2'],
      kept: [
        { version: 'v1', reasons: ['desired'] },
        { version: 'v3', reasons: ['running on i-old'] },
        { version: 'v4', reasons: ['newest'] },
        { version: 'v5', reasons: ['newest', 'previous'] },
      ],
    });
    expect(inStore('v2')).toEqual([false, false]);
  });

  it('says so when there is nothing to remove', async () => {
    await push('v1', 'v2');

    const run = await cli('prune', '--keep', '5');

    expect(run.code).toBe(0);
    expect(lines(run.stdout)).toEqual([`nothing to remove from ${store}; kept 2: v1 (newest, previous), v2 (newest, desired)`]);
  });

  it.each([[[]], [['--keep', '0']], [['--keep', 'all']], [['--keep', '2', 'v1']]])('exits 2 for %j', async (args) => {
    const run = await cli('prune', ...args);

    expect(run.code).toBe(2);
    expect(lines(run.stderr)).toEqual([expect.stringMatching(/^deployctl: /)]);
  });
});
