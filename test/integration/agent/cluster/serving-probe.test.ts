import { DeployError } from '../../../../agent/errors';
import { tcpPortProbe, type PortProbe } from '../../../../agent/cluster/port-probe';
import { versionsServed } from '../../../support/cluster-workers';
import { startSupervisedApp, type SupervisedApp } from '../../../support/supervised-app';
import { waitUntil, withTimeout } from '../../../support/with-timeout';

/**
 * The port probe that ends every start and roll, real (a TCP connect to
 * 127.0.0.1:<app.port>) except that it fails on cue, as when something
 * between the workers and the port (a firewall rule, a full backlog) keeps
 * connections out although every worker said it listens.
 */
class ProbeFailingOnCue implements PortProbe {
  failNext = false;
  readonly asked: number[] = [];

  async answers(port: number, timeoutMs: number): Promise<void> {
    this.asked.push(port);
    if (this.failNext) {
      this.failNext = false;
      throw new DeployError('PORT_NOT_SERVING', `127.0.0.1:${port} did not accept a connection within ${timeoutMs} ms (ECONNREFUSED); the app must listen on app.port ${port} on all addresses or on 127.0.0.1`);
    }
    await tcpPortProbe.answers(port, timeoutMs);
  }
}

describe('a roll whose new workers are in but whose port does not answer', () => {
  let app: SupervisedApp | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it("fails at the 'serving' step, rolls every slot back to the previous release, and lets every new worker go", async () => {
    const probe = new ProbeFailingOnCue();
    app = await startSupervisedApp({ workers: 2, startTimeoutMs: 10_000, stableMs: 500 }, {}, { probe });
    const { supervisor, port } = app;
    probe.failNext = true;

    const result = await withTimeout(supervisor.roll(app.release('v2')), 60_000, 'the roll to v2 that fails its port probe');

    expect(probe.asked).toEqual([port, port]); // once after the start, once after the roll: not again after the rollback
    expect(result).toMatchObject({ ok: false, rolledBack: true, version: 'v2', previousVersion: 'v1', rollMs: expect.any(Number) });
    expect(result.rollbackFailure).toBeUndefined();
    expect(result.failure).toMatchObject({ step: 'serving', version: 'v2', reason: 'not-serving' });
    expect(result.failure?.message).toBe(
      `worker of v2 is in, but 127.0.0.1:${port} did not accept a connection within ${supervisor.options.probeTimeoutMs} ms (ECONNREFUSED); the app must listen on app.port ${port} on all addresses or on 127.0.0.1`,
    );
    expect(app.events).toContainEqual(expect.objectContaining({ type: 'roll-failed', failure: expect.objectContaining({ step: 'serving' }) }));
    expect(supervisor.status()).toMatchObject({ version: 'v1', rolling: false, workersReady: 2, workersTotal: 2 });
    expect(supervisor.status().slots.map((s) => [s.version, s.status])).toEqual([
      ['v1', 'running'],
      ['v1', 'running'],
    ]);
    expect(await versionsServed(port, 8)).toEqual({ v1: 8 });
    // The v2 workers drain and exit: none is left serving outside the slots.
    await waitUntil(() => supervisor.allWorkers().every((w) => w.release.version === 'v1'), 30_000, 'every v2 worker to exit after the rollback');
    expect(supervisor.allWorkers()).toHaveLength(2);
  }, 120_000);
});
