import cluster, { type Worker } from 'node:cluster';
import http from 'node:http';
import type { SupervisorEvent } from '../../../../agent/cluster/roll-types';
import { startSupervisedApp, type SupervisedApp } from '../../../support/supervised-app';
import { waitUntil, withTimeout } from '../../../support/with-timeout';

type Crashed = Extract<SupervisorEvent, { type: 'worker-crashed' }>;

describe('workers that die outside a roll', () => {
  let app: SupervisedApp | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  function crashes(a: SupervisedApp): Crashed[] {
    return a.events.filter((e): e is Crashed => e.type === 'worker-crashed');
  }

  async function killSlot(a: SupervisedApp, slot: number): Promise<void> {
    await waitUntil(() => a.supervisor.status().slots[slot]?.state === 'ready', 10_000, `slot ${slot} to be ready`);
    const pid = a.supervisor.status().slots[slot]?.pid;
    if (!pid) throw new Error(`slot ${slot} has no pid`);
    process.kill(pid, 'SIGKILL');
    await waitUntil(() => a.supervisor.status().slots[slot]?.pid !== pid, 10_000, `slot ${slot} to lose pid ${pid}`);
  }

  it('restarts a crashed worker with exponential backoff: 100, 200, 400 ms', async () => {
    app = await startSupervisedApp({ workers: 2 });
    for (let i = 0; i < 3; i++) await killSlot(app, 0);
    await waitUntil(() => app?.supervisor.status().workersReady === 2, 10_000, 'both workers ready again');

    expect(crashes(app).map((c) => c.restartInMs)).toEqual([100, 200, 400]);
    expect(crashes(app).map((c) => c.exit.signal)).toEqual(['SIGKILL', 'SIGKILL', 'SIGKILL']);
    expect(crashes(app).every((c) => c.slot === 0 && c.version === 'v1')).toBe(true);
  });

  it('gives up on a slot after 5 crashes within 60 s and reports the crash loop instead of restarting it', async () => {
    app = await startSupervisedApp({ workers: 2 });
    for (let i = 0; i < 5; i++) await killSlot(app, 1);
    await waitUntil(() => app?.events.some((e) => e.type === 'crash-loop') ?? false, 5_000, 'the crash-loop report');

    expect(app.events).toContainEqual({ type: 'crash-loop', slot: 1, version: 'v1', crashes: 5 });
    expect(crashes(app).map((c) => c.restartInMs)).toEqual([100, 200, 400, 800, null]);
    // No tight loop: nothing restarts the slot afterwards.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(app.supervisor.status().slots[1]).toMatchObject({ status: 'crash-loop', pid: undefined });
    expect(app.supervisor.status().workersReady).toBe(1);
    // The next roll brings the slot back.
    const result = await app.supervisor.roll(app.release('v2'));
    expect(result.ok).toBe(true);
    expect(app.supervisor.status()).toMatchObject({ workersReady: 2, version: 'v2' });
  });

  it('kills a worker that never drains once shutdownTimeoutMs has passed', async () => {
    app = await startSupervisedApp({ workers: 1, shutdownTimeoutMs: 1000, wsCloseWindowMs: 0 }, { mode: 'ignore-shutdown' });
    const oldPid = app.supervisor.status().slots[0]?.pid;
    // A request that never gets an answer keeps the old worker from draining.
    const hanging = http.get({ host: '127.0.0.1', port: app.port, path: '/hang' });
    hanging.on('error', () => undefined);
    await waitUntil(() => hanging.reusedSocket !== undefined && hanging.socket !== null, 5_000, 'the hanging request to connect');
    await new Promise((resolve) => setTimeout(resolve, 200));

    const exits: { pid: number | undefined; signal: string | null; at: number }[] = [];
    const onExit = (w: Worker, _code: number, signal: string) => exits.push({ pid: w.process.pid, signal, at: Date.now() });
    cluster.on('exit', onExit);
    try {
      const rolledAt = Date.now();
      const result = await app.supervisor.roll(app.release('v2', { mode: 'graceful' }));
      expect(result.ok).toBe(true);
      await withTimeout(
        new Promise<void>((resolve) => {
          const check = setInterval(() => exits.some((e) => e.pid === oldPid) && (clearInterval(check), resolve()), 20);
        }),
        10_000,
        `the old worker ${oldPid} to be killed`,
      );
      const exit = exits.find((e) => e.pid === oldPid);
      expect(exit?.signal).toBe('SIGTERM');
      expect((exit?.at ?? 0) - rolledAt).toBeGreaterThanOrEqual(1000);
    } finally {
      cluster.off('exit', onExit);
      hanging.destroy();
    }
  });
});
