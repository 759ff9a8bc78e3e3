import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makeFixtureRelease } from '../../../support/fixture-releases';
import { freePort } from '../../../support/free-port';
import { startLoad } from '../../../support/load/load-client';
import { spawnSupervisor, type SpawnedSupervisor } from '../../../support/spawned-supervisor';
import { delay, withTimeout } from '../../../support/with-timeout';

function get(port: number, urlPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: urlPath, agent: false }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('stopping the primary with a signal', () => {
  let root: string;
  let spawned: SpawnedSupervisor | undefined;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'deployctl-stop-'));
  });
  afterEach(() => {
    spawned?.kill();
    spawned = undefined;
    rmSync(root, { recursive: true, force: true });
  });

  it('completes in-flight requests on SIGTERM under load and exits 0', async () => {
    const port = await freePort();
    // Slow requests, so some are surely in flight when the signal lands.
    const release = makeFixtureRelease(root, 'v1', { mode: 'unmodified', requestMs: 600 });
    spawned = await spawnSupervisor(release, port, 2, 5000);
    const load = startLoad({ port, keepAliveConcurrency: 6, freshConcurrency: 2, wsClients: 5 });
    await load.waitFor((r) => (r.versions.v1 ?? 0) >= 8 && r.wsVersionsAtEnd.v1 === 5, 10_000, 'load on v1');
    const inFlight = [get(port, '/'), get(port, '/')];
    await delay(100);

    spawned.child.kill('SIGTERM');
    const results = await withTimeout(Promise.all(inFlight), 10_000, 'the in-flight requests');
    const exit = await withTimeout(spawned.exited, 15_000, 'the primary to exit');
    const report = await load.stop();

    expect(results).toEqual([
      { status: 200, body: 'v1' },
      { status: 200, body: 'v1' },
    ]);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(spawned.output()).toMatch(/SIGTERM: stopping gracefully/);
    // Requests sent after the stop began are refused (the port is closed), none is cut mid-way.
    expect(report.failures.filter((f) => !/ECONNREFUSED/.test(f))).toEqual([]);
    expect(report.wsFailures).toEqual([]);
  });

  it('forces the stop on a second signal when a worker will not drain, and exits 1', async () => {
    const port = await freePort();
    const release = makeFixtureRelease(root, 'v1', { mode: 'ignore-shutdown' });
    spawned = await spawnSupervisor(release, port, 1, 60_000);
    const hanging = http.get({ host: '127.0.0.1', port, path: '/hang', agent: false });
    hanging.on('error', () => undefined);
    await delay(300);

    spawned.child.kill('SIGTERM');
    await delay(300);
    expect(spawned.child.exitCode).toBeNull();
    spawned.child.kill('SIGTERM');
    const exit = await withTimeout(spawned.exited, 5_000, 'the forced exit');

    expect(exit).toEqual({ code: 1, signal: null });
    expect(spawned.output()).toMatch(/second SIGTERM: stopping workers now/);
    hanging.destroy();
  });
});
