import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ClusterHost } from '../../../../agent/cluster/cluster-host';
import type { SupervisorEvent } from '../../../../agent/cluster/roll-types';
import { Supervisor } from '../../../../agent/cluster/supervisor';
import type { SupervisorOptions } from '../../../../agent/cluster/supervisor-options';
import type { WorkerHost } from '../../../../agent/cluster/worker-host';
import { liveClusterPids, noClusterWorkersLeft, versionsServed } from '../../../support/cluster-workers';
import { makeFixtureRelease, type FixtureReleaseOptions } from '../../../support/fixture-releases';
import { freePort } from '../../../support/free-port';
import { ThrowingHost } from '../../../support/throwing-host';
import { delay, waitUntil, withTimeout } from '../../../support/with-timeout';

describe('no orphan workers', () => {
  let root: string;
  let supervisor: Supervisor | undefined;
  let port: number;
  let events: SupervisorEvent[];

  beforeEach(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'deployctl-orphans-'));
    port = await freePort();
    events = [];
  });
  afterEach(async () => {
    await withTimeout(supervisor?.stop() ?? Promise.resolve(), 30_000, 'the supervisor to stop');
    supervisor = undefined;
    rmSync(root, { recursive: true, force: true });
    await noClusterWorkersLeft(15_000, 'after the test');
  });

  function make(options: Omit<SupervisorOptions, 'port'>, host: WorkerHost = new ClusterHost('rr')): Supervisor {
    supervisor = new Supervisor(
      { port, ...options },
      { host, output: { stdout: () => undefined, stderr: () => undefined }, onEvent: (e) => events.push(e) },
    );
    return supervisor;
  }

  const release = (version: string, options?: FixtureReleaseOptions) => makeFixtureRelease(root, version, options);

  async function failure(promise: Promise<unknown>, label: string): Promise<Error & { code?: string }> {
    const error = await withTimeout(promise, 30_000, label).then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(error instanceof Error)) throw new Error(`expected ${label} to fail`);
    return error;
  }

  it('a worker that crashes during start() leaves no restart timer behind: nothing of the failed release forks later or serves after the next start', async () => {
    const s = make({ workers: 2, restartBackoffInitialMs: 800 });
    const error = await failure(s.start(release('v1', { mode: 'first-crashes' })), 'the start of v1');
    expect(error.code).toBe('SUPERVISOR_START_FAILED');
    expect(error.message).toContain('fixture: crash on boot');
    expect(s.running).toBe(false);
    await noClusterWorkersLeft(15_000, 'after the failed start');
    // Past the restart backoff: a leftover timer would have forked a v1 worker by now.
    await delay(1500);
    expect(liveClusterPids()).toEqual([]);
    expect(events.filter((e) => e.type === 'worker-crashed')).toEqual([]);

    await withTimeout(s.start(release('v2')), 30_000, 'the start of v2');
    expect(await versionsServed(port, 30)).toEqual({ v2: 30 });
    expect(liveClusterPids()).toHaveLength(2);
  });

  it('a fork that throws during start() fails the start, lets go of the workers already forked, and a later start works', async () => {
    const host = new ThrowingHost(new Set([2]));
    const s = make({ workers: 2 }, host);
    const error = await failure(s.start(release('v1')), 'the start with a failing fork');
    expect(error.code).toBe('SUPERVISOR_START_FAILED');
    expect(error.message).toContain('could not be forked: spawn EPERM');
    expect(s.running).toBe(false);
    expect(s.version).toBeUndefined();
    await noClusterWorkersLeft(15_000, 'after the failed start');

    await withTimeout(s.start(release('v2')), 30_000, 'the next start');
    expect(s.status()).toMatchObject({ version: 'v2', workersReady: 2 });
    expect(await versionsServed(port, 10)).toEqual({ v2: 10 });
  });

  it('a fork that throws mid-batch fails the roll and lets go of the batch; v1 keeps every slot', async () => {
    const host = new ThrowingHost(new Set([4]));
    const s = make({ workers: 2, maxSurge: 2 }, host);
    await withTimeout(s.start(release('v1')), 30_000, 'the start of v1');
    const v1Pids = liveClusterPids();

    const result = await withTimeout(s.roll(release('v2')), 30_000, 'the roll with a failing fork');

    expect(result.ok).toBe(false);
    expect(result.failure).toMatchObject({ step: 'start', reason: 'fork', slot: 1, version: 'v2' });
    expect(result.failure?.message).toContain('could not be forked: spawn EPERM');
    expect(s.status()).toMatchObject({ version: 'v1', workersReady: 2, rolling: false });
    // The batch-mate that did fork is gone: only the v1 workers are left.
    await waitUntil(() => liveClusterPids().length === 2, 15_000, 'the forked batch-mate to exit');
    expect(liveClusterPids().sort()).toEqual([...v1Pids].sort());
    expect(await versionsServed(port, 10)).toEqual({ v1: 10 });
  });

  it('with maxSurge 2, a fresh worker that was ready and exited while its batch-mate started fails the roll instead of being swapped in dead', async () => {
    const s = make({ workers: 2, maxSurge: 2, startTimeoutMs: 20_000, stableMs: 500 });
    await withTimeout(s.start(release('v1')), 30_000, 'the start of v1');

    const result = await withTimeout(s.roll(release('v2', { mode: 'first-exits-early', bootMs: 2000 })), 60_000, 'the roll to v2');

    expect(result.ok).toBe(false);
    expect(result.failure).toMatchObject({ step: 'start', version: 'v2' });
    expect(result.failure?.message).toMatch(/exited with code 3 after it was ready, before its batch was swapped in/);
    expect(s.status()).toMatchObject({ version: 'v1', workersReady: 2 });
    expect(s.status().slots.map((slot) => [slot.version, slot.state])).toEqual([
      ['v1', 'ready'],
      ['v1', 'ready'],
    ]);
    expect(await versionsServed(port, 10)).toEqual({ v1: 10 });
  });

  it('a slot the failed rollback left empty restarts with backoff on the previous release, and the status says so', async () => {
    const gate = path.join(root, 'v1-may-boot');
    writeFileSync(gate, '');
    const s = make({ workers: 1, stableMs: 5000, restartBackoffInitialMs: 300 });
    await withTimeout(s.start(release('v1', { bootGate: gate })), 30_000, 'the start of v1');
    unlinkSync(gate); // v1 can no longer start: the rollback will fail

    const result = await withTimeout(s.roll(release('v2', { mode: 'crash-after-listening' })), 60_000, 'the failed roll and rollback');

    expect(result.ok).toBe(false);
    expect(result.failure).toMatchObject({ step: 'stability', version: 'v2' });
    expect(result.rollbackFailure).toMatchObject({ version: 'v1' });
    expect(result.rollbackFailure?.message).toContain('before it was ready');
    expect(s.status()).toMatchObject({ version: 'v1', workersReady: 0 });
    expect(s.status().slots).toEqual([expect.objectContaining({ slot: 0, version: 'v1', status: 'restarting', state: 'none' })]);
    expect(events).toContainEqual(expect.objectContaining({ type: 'slot-restarting', slot: 0, version: 'v1', restartInMs: 300 }));

    writeFileSync(gate, ''); // v1 can start again
    await waitUntil(() => s.status().workersReady === 1, 30_000, 'the slot to run v1 again');
    expect(s.status().slots).toEqual([expect.objectContaining({ slot: 0, version: 'v1', status: 'running', state: 'ready' })]);
    expect(await versionsServed(port, 10)).toEqual({ v1: 10 });
  });

});
