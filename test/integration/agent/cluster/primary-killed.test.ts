import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makeFixtureRelease } from '../../../support/fixture-releases';
import { freePort } from '../../../support/free-port';
import { childProcesses, holdsFd, isGone, killIfRunning, type ProcessRef } from '../../../support/process-tree';
import { spawnSupervisor, type SpawnedSupervisor } from '../../../support/spawned-supervisor';
import { waitUntil, withTimeout } from '../../../support/with-timeout';

describe('the primary killed with SIGKILL', () => {
  let root: string;
  let spawned: SpawnedSupervisor | undefined;
  let workers: ProcessRef[] = [];
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'deployctl-primary-killed-'));
  });
  afterEach(() => {
    spawned?.kill();
    spawned = undefined;
    workers.forEach(killIfRunning);
    workers = [];
    rmSync(root, { recursive: true, force: true });
  });

  it('takes a retired worker that owns its shutdown with it (no orphan waiting for a kill that never comes)', async () => {
    const port = await freePort();
    // v1 listens for messages itself, so it owns its shutdown: it stays up after 'shutdown' until killed.
    const v1 = makeFixtureRelease(root, 'v1', { mode: 'ignore-shutdown', bootMs: 0 });
    spawned = await spawnSupervisor(v1, port, 1, 120_000);
    const pid = spawned.child.pid ?? 0;
    workers = childProcesses(pid);
    expect(workers).toHaveLength(1);
    const retired = workers[0] as ProcessRef;

    const v2 = makeFixtureRelease(root, 'v2', { bootMs: 0 });
    spawned.child.stdin?.write(`roll ${v2.dir} v2\n`);
    const supervisor = spawned;
    await waitUntil(() => /rolled .*"ok":true/.test(supervisor.output()), 20_000, 'the roll to v2');
    await waitUntil(() => !holdsFd(retired, 3), 10_000, 'the retired v1 worker to leave the cluster (IPC fd 3 closed)');
    expect(isGone(retired)).toBe(false);
    workers = childProcesses(pid);

    spawned.kill();
    await withTimeout(spawned.exited, 10_000, 'the primary to die');
    await waitUntil(() => isGone(retired), 10_000, `the retired worker ${retired.pid} to exit after its primary died`);
    await waitUntil(() => workers.every(isGone), 10_000, 'every worker to exit after its primary died');
  });
});
