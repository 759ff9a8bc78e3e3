import { startLoad } from '../../../support/load/load-client';
import type { FixtureMode } from '../../../support/fixture-releases';
import { startSupervisedApp, type SupervisedApp } from '../../../support/supervised-app';
import { withTimeout } from '../../../support/with-timeout';

describe('a new release that fails to start', () => {
  let app: SupervisedApp | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  test.each<[string, FixtureMode, RegExp, RegExp]>([
    ['crashes at boot', 'crash-on-boot', /exited with code 1 before it was ready/, /fixture: crash on boot/],
    ['never listens', 'never-listen', /not ready within 5000 ms \(listening\): it never listened on app.port \d+ \(nor on any other port\)/, /^$/],
    ['crashes after listening', 'crash-after-listening', /exited with code 1 before the roll was stable/, /fixture: crash after listening/],
  ])('keeps old workers serving when the new release %s', async (_name, mode, message, stderr) => {
    app = await startSupervisedApp({ workers: 3, startTimeoutMs: 5000, stableMs: 1500 });
    const load = startLoad({ port: app.port, keepAliveConcurrency: 4, freshConcurrency: 2, wsClients: 10 });
    try {
      await load.waitFor((r) => (r.versions.v1 ?? 0) > 20 && r.wsVersionsAtEnd.v1 === 10, 10_000, 'load on v1');
      load.resetCounters();

      const result = await withTimeout(app.supervisor.roll(app.release('v2', { mode })), 30_000, 'the failed roll');

      expect(result.ok).toBe(false);
      // Only a release that got as far as replacing a slot has anything to roll back.
      expect(result.rolledBack).toBe(mode === 'crash-after-listening');
      expect(result.rollbackFailure).toBeUndefined();
      expect(result.failure?.version).toBe('v2');
      expect(result.failure?.message).toMatch(message);
      expect(result.failure?.stderr.join('\n')).toMatch(stderr);
      expect(app.events).toContainEqual(expect.objectContaining({ type: 'roll-failed' }));
      expect(app.supervisor.status()).toMatchObject({ version: 'v1', workersReady: 3, rolling: false });
      expect(app.supervisor.status().slots.map((s) => s.version)).toEqual(['v1', 'v1', 'v1']);

      // After the rollback, v1 serves everything again.
      load.resetCounters();
      await load.waitFor((r) => (r.versions.v1 ?? 0) > 50, 10_000, 'requests served after the rollback');
      const report = await load.stop();
      expect(report.failures).toEqual([]);
      expect(report.failedRequests).toBe(0);
      expect(Object.keys(report.versions)).toEqual(['v1']);
      expect(report.abnormalWsCloses).toBe(0);
    } finally {
      await load.stop();
    }
  });
});
