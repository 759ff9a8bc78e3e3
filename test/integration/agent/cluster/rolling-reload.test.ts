import cluster from 'node:cluster';
import { startLoad } from '../../../support/load/load-client';
import { startSupervisedApp, type SupervisedApp } from '../../../support/supervised-app';
import { delay, waitUntil, withTimeout } from '../../../support/with-timeout';

describe('rolling reload under load', () => {
  let app: SupervisedApp | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function rollUnderLoad(a: SupervisedApp, next: ReturnType<SupervisedApp['release']>) {
    const load = startLoad({ port: a.port, keepAliveConcurrency: 4, freshConcurrency: 2, wsClients: 20 });
    try {
      await load.waitFor((r) => (r.versions.v1 ?? 0) > 20 && r.wsVersionsAtEnd.v1 === 20, 10_000, 'load on v1');
      load.resetCounters();
      let minReady = Infinity;
      const sampler = setInterval(() => (minReady = Math.min(minReady, a.supervisor.status().workersReady)), 5);
      const result = await withTimeout(a.supervisor.roll(next), 30_000, 'the roll');
      clearInterval(sampler);
      await load.waitFor((r) => r.wsVersionsAtEnd[next.version] === 20, 10_000, `WebSocket clients on ${next.version}`);
      const before = load.snapshot().versions[next.version] ?? 0;
      await load.waitFor((r) => (r.versions[next.version] ?? 0) > before + 20, 5_000, `requests served by ${next.version}`);
      return { result, minReady, report: await load.stop() };
    } finally {
      await load.stop();
    }
  }

  it('replaces 4 workers one at a time under keep-alive and fresh-connection load without a failed request', async () => {
    app = await startSupervisedApp({ workers: 4 });
    const pidsBefore = app.supervisor.status().slots.map((s) => s.pid);
    const { result, minReady, report } = await rollUnderLoad(app, app.release('v2'));

    expect(result).toMatchObject({ ok: true, version: 'v2', previousVersion: 'v1', rolledBack: false });
    expect(report.failures).toEqual([]);
    expect(report.failedRequests).toBe(0);
    expect(report.requests).toBeGreaterThan(100);
    expect(minReady).toBe(4);
    const status = app.supervisor.status();
    expect(status.slots.map((s) => s.version)).toEqual(['v2', 'v2', 'v2', 'v2']);
    expect(status.slots.map((s) => s.pid)).not.toEqual(expect.arrayContaining(pidsBefore));
    expect(report.abnormalWsCloses).toBe(0);
  });

  it('replaces an unmodified app (no shutdown code, a timer that never stops) without a failed request or a cut WebSocket', async () => {
    app = await startSupervisedApp({ workers: 2 }, { mode: 'unmodified' });
    const { result, report } = await rollUnderLoad(app, app.release('v2', { mode: 'unmodified' }));

    expect(result.ok).toBe(true);
    expect(report.failures).toEqual([]);
    expect(report.abnormalWsCloses).toBe(0);
    expect(report.wsCloseCodes).toEqual({ 1012: 20 });
  });

  it('starts maxSurge new workers at once and never serves with fewer than N ready workers', async () => {
    app = await startSupervisedApp({ workers: 4, maxSurge: 2 });
    const forkedAt: number[] = [];
    const listeningAt: number[] = [];
    const onFork = () => forkedAt.push(Date.now());
    const onListening = () => listeningAt.push(Date.now());
    cluster.on('fork', onFork);
    cluster.on('listening', onListening);
    try {
      const { result, minReady, report } = await rollUnderLoad(app, app.release('v2'));
      expect(result.ok).toBe(true);
      expect(report.failedRequests).toBe(0);
      expect(minReady).toBe(4);
      // Two batches of two: the second pair is forked only after the first pair listens.
      expect(forkedAt).toHaveLength(4);
      const [f0, f1, f2, f3] = forkedAt as [number, number, number, number];
      const firstBatchListening = Math.max(...(listeningAt.slice(0, 2) as number[]));
      expect(f1 - f0).toBeLessThan(100);
      expect(f3 - f2).toBeLessThan(100);
      expect(f2).toBeGreaterThanOrEqual(firstBatchListening);
    } finally {
      cluster.off('fork', onFork);
      cluster.off('listening', onListening);
    }
  });

  it('replaces all workers in one step with maxSurge equal to the worker count', async () => {
    app = await startSupervisedApp({ workers: 3, maxSurge: 3 });
    const timeline: string[] = [];
    const onFork = () => timeline.push('fork');
    const onListening = () => timeline.push('listening');
    cluster.on('fork', onFork);
    cluster.on('listening', onListening);
    try {
      const { result, minReady, report } = await rollUnderLoad(app, app.release('v2'));
      expect(result.ok).toBe(true);
      expect(report.failedRequests).toBe(0);
      expect(minReady).toBe(3);
      // All three new workers were forked before the first of them listened.
      expect(timeline).toEqual(['fork', 'fork', 'fork', 'listening', 'listening', 'listening']);
    } finally {
      cluster.off('fork', onFork);
      cluster.off('listening', onListening);
    }
  });

  it("waits for the app's process.send('ready') in message readiness mode", async () => {
    app = await startSupervisedApp({ workers: 2, readiness: 'message' }, { mode: 'ready-message' });
    const timeline: { what: string; at: number }[] = [];
    const onFork = () => timeline.push({ what: 'fork', at: Date.now() });
    const onListening = () => timeline.push({ what: 'listening', at: Date.now() });
    cluster.on('fork', onFork);
    cluster.on('listening', onListening);
    try {
      const result = await app.supervisor.roll(app.release('v2', { mode: 'ready-message' }));
      expect(result.ok).toBe(true);
      expect(timeline.map((t) => t.what)).toEqual(['fork', 'listening', 'fork', 'listening']);
      // The fixture says 'ready' 200 ms after it listens: only then may the next worker be forked.
      const [, firstListening, secondFork] = timeline as [unknown, { at: number }, { at: number }];
      expect(secondFork.at - firstListening.at).toBeGreaterThanOrEqual(190);
    } finally {
      cluster.off('fork', onFork);
      cluster.off('listening', onListening);
    }
  });

  it('forks nothing once stop() has begun, even while a roll in progress undoes itself', async () => {
    app = await startSupervisedApp({ workers: 2 });
    const rolling = app.supervisor.roll(app.release('v2'));
    // Stop once the first slot runs v2 and the second is starting: the roll then wants to undo slot 0.
    await waitUntil(() => app?.supervisor.status().slots[0]?.version === 'v2', 10_000, 'slot 0 to run v2');
    await withTimeout(app.supervisor.stop(), 20_000, 'the stop during a roll');
    const result = await withTimeout(rolling, 20_000, 'the interrupted roll');
    expect(result.ok).toBe(false);
    await delay(500);
    expect(Object.keys(cluster.workers ?? {})).toEqual([]);
  });

  it('fails the roll when a worker in message mode listens but never says ready, and keeps the old workers', async () => {
    app = await startSupervisedApp({ workers: 2, readiness: 'message', startTimeoutMs: 5000 }, { mode: 'ready-message' });
    const result = await app.supervisor.roll(app.release('v2', { mode: 'graceful' }));
    expect(result.ok).toBe(false);
    expect(result.failure).toMatchObject({ step: 'start', reason: 'timeout', version: 'v2' });
    expect(result.failure?.message).toMatch(/not ready within 5000 ms \(message\): it listens on app.port \d+ but never called process.send\('ready'\)/);
    await delay(100);
    expect(app.supervisor.status().slots.map((s) => s.version)).toEqual(['v1', 'v1']);
  });
});
