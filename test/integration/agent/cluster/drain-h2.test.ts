import cluster, { type Worker } from 'node:cluster';
import http2 from 'node:http2';
import { ServiceDrain } from '../../../../agent/cluster/service-drain';
import { startH2Load } from '../../../support/load/h2-load';
import { startSupervisedApp, type SupervisedApp } from '../../../support/supervised-app';
import { waitUntil, withTimeout } from '../../../support/with-timeout';

/** How workers of the cluster exited (this jest process is the primary). */
function watchExits(): { exits: Map<number, string>; stop: () => void } {
  const exits = new Map<number, string>();
  const onExit = (worker: Worker, code: number, signal: string | null) => exits.set(worker.process.pid ?? -1, signal ?? `code ${code}`);
  cluster.on('exit', onExit);
  return { exits, stop: () => cluster.off('exit', onExit) };
}

interface StreamResult {
  readonly status: number;
  readonly chunks: string[];
  readonly goaway: Promise<void>;
}

/** GET /stream over its own session: server streaming, one chunk every `everyMs`. */
function openLongStream(port: number, chunks: number, everyMs: number): { session: http2.ClientHttp2Session; result: Promise<StreamResult>; firstChunk: Promise<void> } {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on('error', () => undefined);
  const goaway = new Promise<void>((resolve) => session.once('goaway', () => resolve()));
  const req = session.request({ ':path': `/stream?chunks=${chunks}&everyMs=${everyMs}` });
  req.setEncoding('utf8');
  const received: string[] = [];
  let status = 0;
  const firstChunk = new Promise<void>((resolve) => req.once('data', () => resolve()));
  const result = new Promise<StreamResult>((resolve, reject) => {
    req.on('response', (headers) => (status = Number(headers[':status'])));
    req.on('data', (chunk: string) => received.push(...chunk.split('\n').filter(Boolean)));
    req.on('end', () => resolve({ status, chunks: received, goaway }));
    req.on('error', reject);
  });
  return { session, result, firstChunk };
}

describe('the drain preload with HTTP/2 (h2c) apps', () => {
  let app: SupervisedApp | undefined;
  const sessions: http2.ClientHttp2Session[] = [];
  afterEach(async () => {
    for (const session of sessions.splice(0)) session.destroy();
    await app?.close();
    app = undefined;
  });

  it('rolls an unmodified h2c app under 32 concurrent streams over one session without a failed stream; retired workers send GOAWAY and exit on their own', async () => {
    app = await startSupervisedApp({ workers: 2, shutdownTimeoutMs: 4000 }, { app: 'h2-app.js' });
    const watch = watchExits();
    const load = startH2Load({ port: app.port, concurrency: 32 });
    try {
      await load.waitFor((r) => (r.versions.v1 ?? 0) > 200, 15_000, '200 streams answered by v1');
      const oldPids = app.supervisor.status().slots.map((s) => s.pid);

      const result = await withTimeout(app.supervisor.roll(app.release('v2', { app: 'h2-app.js' })), 30_000, 'the roll');
      expect(result.ok).toBe(true);
      // The old workers leave once their sessions have ended, not when the shutdown timeout kills them.
      await waitUntil(() => oldPids.every((pid) => pid !== undefined && watch.exits.has(pid)), 20_000, 'both retired workers to exit');
      const before = load.snapshot().versions.v2 ?? 0;
      await load.waitFor((r) => (r.versions.v2 ?? 0) > before + 200, 15_000, '200 more streams answered by v2');
      const report = await load.stop();

      expect(report.failures).toEqual([]);
      expect(report.goaways).toBeGreaterThanOrEqual(1);
      expect(report.streams).toBeGreaterThan(400);
      expect(oldPids.map((pid) => watch.exits.get(pid ?? -1))).toEqual(['code 0', 'code 0']);
    } finally {
      await load.stop();
      watch.stop();
    }
  });

  it('lets a gRPC-style server stream that spans the roll finish, then ends its session with GOAWAY', async () => {
    app = await startSupervisedApp({ workers: 1, shutdownTimeoutMs: 20_000 }, { app: 'h2-app.js' });
    const watch = watchExits();
    try {
      const [oldPid] = app.supervisor.status().slots.map((s) => s.pid);
      // 40 chunks 100 ms apart: about 4 s, most of them after the worker was retired.
      const stream = openLongStream(app.port, 40, 100);
      sessions.push(stream.session);
      await withTimeout(stream.firstChunk, 10_000, 'the first chunk of the long stream');

      const result = await withTimeout(app.supervisor.roll(app.release('v2', { app: 'h2-app.js' })), 30_000, 'the roll');
      expect(result.ok).toBe(true);
      const done = await withTimeout(stream.result, 20_000, 'the long stream to end');

      expect(done.status).toBe(200);
      expect(done.chunks).toEqual(Array.from({ length: 40 }, (_, i) => `v1 ${i + 1}`));
      await withTimeout(done.goaway, 5_000, 'a GOAWAY on the session of the retired worker');
      await waitUntil(() => watch.exits.has(oldPid ?? -1), 10_000, 'the retired worker to exit on its own (shutdown timeout 20 s)');
      expect(watch.exits.get(oldPid ?? -1)).toBe('code 0');
    } finally {
      watch.stop();
    }
  });

  it('counts HTTP/2 sessions as open connections, and on service drain tells them to go away while it keeps serving', async () => {
    app = await startSupervisedApp({ workers: 1, idleGraceMs: 300 }, { app: 'h2-app.js' });
    const drain = new ServiceDrain(app.supervisor);
    const idle = http2.connect(`http://127.0.0.1:${app.port}`);
    sessions.push(idle);
    idle.on('error', () => undefined);
    const goaway = new Promise<void>((resolve) => idle.once('goaway', () => resolve()));
    await withTimeout(new Promise<void>((resolve) => idle.once('connect', () => resolve())), 10_000, 'the HTTP/2 session to connect');
    await waitUntil(async () => (await drain.openConnections(500)) === 1, 10_000, 'the worker to count the HTTP/2 session');

    drain.enterServiceDrain();
    await withTimeout(goaway, 10_000, 'a GOAWAY on the idle session');
    await waitUntil(async () => (await drain.openConnections(500)) === 0, 10_000, 'no open connection once the session went away');

    // Still listening: a new session is served its stream, then told to go away.
    const load = startH2Load({ port: app.port, concurrency: 1 });
    try {
      await load.waitFor((r) => (r.versions.v1 ?? 0) >= 3 && r.goaways >= 1, 10_000, 'streams served by a draining worker, and a GOAWAY');
    } finally {
      const report = await load.stop();
      expect(report.failures).toEqual([]);
    }
  });
});
