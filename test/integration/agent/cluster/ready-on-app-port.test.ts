import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ClusterHost } from '../../../../agent/cluster/cluster-host';
import { Supervisor } from '../../../../agent/cluster/supervisor';
import { rollFailed } from '../../../../agent/deploy/roll-failed';
import { makeFixtureRelease } from '../../../support/fixture-releases';
import { freePort } from '../../../support/free-port';
import { noClusterWorkersLeft, versionsServed } from '../../../support/cluster-workers';
import { startLoad } from '../../../support/load/load-client';
import { startSupervisedApp, type SupervisedApp } from '../../../support/supervised-app';
import { withTimeout } from '../../../support/with-timeout';

describe('ready means serving on app.port', () => {
  let app: SupervisedApp | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('does not count a listen on an admin port as ready: a release that opens PORT 1.5 s later rolls in with no refused request', async () => {
    app = await startSupervisedApp({ workers: 2, startTimeoutMs: 20_000, stableMs: 500 });
    const adminPort = await freePort();
    const load = startLoad({ port: app.port, keepAliveConcurrency: 2, freshConcurrency: 4 });
    try {
      await load.waitFor((r) => (r.versions.v1 ?? 0) > 20, 10_000, 'load on v1');
      load.resetCounters();

      const result = await withTimeout(app.supervisor.roll(app.release('v2', { mode: 'admin-port-first', adminPort, portDelayMs: 1500 })), 60_000, 'the roll to v2');

      expect(result).toMatchObject({ ok: true, version: 'v2' });
      await load.waitFor((r) => (r.versions.v2 ?? 0) > 20, 10_000, 'requests served by v2');
      const report = await load.stop();
      expect(report.failures).toEqual([]);
      expect(report.failedRequests).toBe(0);
      expect(await versionsServed(app.port, 10)).toEqual({ v2: 10 });
    } finally {
      await load.stop();
    }
  });

  it('fails the roll of a release that listens only on a wrong port, naming that port, and keeps v1 serving', async () => {
    app = await startSupervisedApp({ workers: 2, startTimeoutMs: 5000, stableMs: 500 });
    const adminPort = await freePort();

    const result = await withTimeout(app.supervisor.roll(app.release('v2', { mode: 'wrong-port', adminPort })), 60_000, 'the failed roll');

    expect(result.ok).toBe(false);
    expect(result.failure).toMatchObject({ step: 'start', reason: 'timeout', version: 'v2' });
    expect(result.failure?.message).toContain(`listened on port ${adminPort} but never on app.port ${app.port}`);
    const error = rollFailed(result);
    expect(error.code).toBe('ROLL_FAILED');
    expect(error.message).toContain(`listened on port ${adminPort} but never on app.port ${app.port}`);
    expect(app.supervisor.status()).toMatchObject({ version: 'v1', workersReady: 2, rolling: false });
    expect(await versionsServed(app.port, 10)).toEqual({ v1: 10 });
  });
});

describe('a start that does not serve on app.port', () => {
  let root: string;
  let supervisor: Supervisor | undefined;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'deployctl-ready-'));
  });
  afterEach(async () => {
    await supervisor?.stop();
    supervisor = undefined;
    rmSync(root, { recursive: true, force: true });
  });

  async function startOn(options: Parameters<typeof makeFixtureRelease>[2], startTimeoutMs: number): Promise<{ error: unknown; port: number }> {
    const port = await freePort();
    supervisor = new Supervisor({ port, workers: 2, startTimeoutMs }, { host: new ClusterHost('rr'), output: { stdout: () => undefined, stderr: () => undefined } });
    const error = await withTimeout(supervisor.start(makeFixtureRelease(root, 'v1', options)), 30_000, 'the start to fail').then(
      () => undefined,
      (e: unknown) => e,
    );
    return { error, port };
  }

  it('fails the start of a release that listens only on a wrong port, naming the port, and leaves no worker', async () => {
    const adminPort = await freePort();
    const { error, port } = await startOn({ mode: 'wrong-port', adminPort }, 3000);
    expect(error).toMatchObject({ code: 'SUPERVISOR_START_FAILED' });
    expect((error as Error).message).toContain(`listened on port ${adminPort} but never on app.port ${port}`);
    expect((error as Error).message).not.toContain('\n');
    expect(supervisor?.running).toBe(false);
    await noClusterWorkersLeft(15_000, 'after the failed start');
  });

  it('fails the start when 127.0.0.1:<app.port> does not answer although the workers listen on app.port (at another loopback address)', async () => {
    const { error, port } = await startOn({ listenHost: '127.0.0.2' }, 20_000);
    expect(error).toMatchObject({ code: 'SUPERVISOR_START_FAILED' });
    expect((error as Error).message).toContain(`127.0.0.1:${port} did not accept a connection`);
    expect(supervisor?.running).toBe(false);
    await noClusterWorkersLeft(15_000, 'after the failed start');
  });
});
