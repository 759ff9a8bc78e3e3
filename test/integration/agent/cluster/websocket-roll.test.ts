import { startLoad } from '../../../support/load/load-client';
import { startSupervisedApp, type SupervisedApp } from '../../../support/supervised-app';
import { withTimeout } from '../../../support/with-timeout';

describe('WebSocket clients across a roll', () => {
  let app: SupervisedApp | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  test.each([
    ['the websocket-drain helper', 'graceful'],
    ['an unmodified app (drain preload)', 'unmodified'],
  ] as const)('moves 200 clients of %s to new workers with one 1012 close each and no abnormal close', async (_name, mode) => {
    app = await startSupervisedApp({ workers: 4, wsCloseWindowMs: 1000 }, { mode });
    const load = startLoad({ port: app.port, keepAliveConcurrency: 2, freshConcurrency: 1, wsClients: 200 });
    try {
      await load.waitFor((r) => r.wsVersionsAtEnd.v1 === 200, 15_000, '200 WebSocket clients on v1');
      load.resetCounters();

      const result = await withTimeout(app.supervisor.roll(app.release('v2', { mode })), 30_000, 'the roll');
      expect(result.ok).toBe(true);
      await load.waitFor((r) => r.wsVersionsAtEnd.v2 === 200, 15_000, 'all 200 clients on v2');
      const report = await load.stop();

      expect(report.wsFailures).toEqual([]);
      expect(report.abnormalWsCloses).toBe(0);
      expect(report.wsCloseCodes).toEqual({ 1012: 200 });
      // Old workers hold their sockets until the roll is over: nobody reconnects twice.
      expect(report.wsClosesPerClient).toBe(1);
      expect(report.failedRequests).toBe(0);
    } finally {
      await load.stop();
    }
  });
});
