import { rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ServiceDrain } from '../../../../agent/cluster/service-drain';
import { startLoad } from '../../../support/load/load-client';
import { RawHttpConnection } from '../../../support/raw-http-connection';
import { startSupervisedApp, type SupervisedApp } from '../../../support/supervised-app';
import { delay, waitUntil, withTimeout } from '../../../support/with-timeout';

function getVia(agent: http.Agent, port: number): Promise<{ status: number; body: string; connection: string | undefined; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, connection: res.headers.connection, reused: req.reusedSocket }));
    });
    req.on('error', reject);
  });
}

/** POST with `Expect: 100-continue`: the body goes once the server says 100 Continue. */
function postExpectingContinue(port: number, body: string): { continued: Promise<void>; answer: Promise<{ status: number; body: string }> } {
  const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/', agent: false, headers: { expect: '100-continue', 'content-length': Buffer.byteLength(body) } });
  const continued = new Promise<void>((resolve) => req.once('continue', () => resolve()));
  req.once('continue', () => req.end(body));
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
  });
  answer.catch(() => undefined); // awaited by the test
  return { continued, answer };
}

function connectTcp(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('data', () => resolve(socket)); // the app's greeting: it holds the connection
    socket.once('error', reject);
  });
}

describe('the drain preload', () => {
  let app: SupervisedApp | undefined;
  const sockets: net.Socket[] = [];
  const files: string[] = [];
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    for (const file of files.splice(0)) rmSync(file, { force: true });
    await app?.close();
    app = undefined;
  });

  it("counts a request the app handles through 'checkContinue' as in flight: a retired worker answers it instead of closing its socket", async () => {
    const gate = path.join(tmpdir(), `deployctl-continue-gate-${process.pid}-${Date.now()}`);
    files.push(gate);
    app = await startSupervisedApp({ workers: 1, idleGraceMs: 200 }, { app: 'expect-continue-app.js', holdUntil: gate });
    const post = postExpectingContinue(app.port, 'twelve bytes');
    await withTimeout(post.continued, 10_000, '100 Continue from v1');

    const result = await withTimeout(app.supervisor.roll(app.release('v2', { app: 'expect-continue-app.js' })), 20_000, 'the roll');
    expect(result.ok).toBe(true);
    // The retired worker drains: an idle keep-alive socket would be closed after 200 ms; this one is busy.
    await delay(1000);
    writeFileSync(gate, '');
    expect(await withTimeout(post.answer, 10_000, 'the answer to the held request')).toEqual({ status: 200, body: 'v1 12' });
  });

  it('counts the connections of a raw TCP (net.createServer) app, so early drain waits for them', async () => {
    app = await startSupervisedApp({ workers: 2 }, { app: 'tcp-app.js' });
    const drain = new ServiceDrain(app.supervisor);
    sockets.push(...(await Promise.all([connectTcp(app.port), connectTcp(app.port), connectTcp(app.port)])));
    await waitUntil(async () => (await drain.openConnections(500)) === 3, 10_000, 'the workers to count the 3 TCP connections');
    for (const socket of sockets) socket.end();
    await waitUntil(async () => (await drain.openConnections(500)) === 0, 10_000, 'no open connection once the clients closed theirs');
  });

  it('answers a request on an idle keep-alive socket of a retired worker with Connection: close instead of resetting it', async () => {
    app = await startSupervisedApp({ workers: 1, idleGraceMs: 3000 }, { mode: 'unmodified' });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await getVia(agent, app.port);
      expect(first).toMatchObject({ status: 200, body: 'v1', connection: 'keep-alive', reused: false });

      // The socket sits idle in the agent's pool while the worker behind it is retired.
      const result = await withTimeout(app.supervisor.roll(app.release('v2', { mode: 'unmodified' })), 20_000, 'the roll');
      expect(result.ok).toBe(true);

      const second = await getVia(agent, app.port);
      expect(second).toMatchObject({ status: 200, body: 'v1', connection: 'close', reused: true });
      const third = await getVia(agent, app.port);
      expect(third).toMatchObject({ status: 200, body: 'v2', reused: false });
    } finally {
      agent.destroy();
    }
  });

  it('answers a request sent on a keep-alive socket of a retired worker idle past idleGraceMs but within the keep-alive timeout it announced, instead of hanging up', async () => {
    // GIVEN a worker that announces a 30 s keep-alive timeout, a drain grace of 100 ms, and an idle
    // keep-alive connection; the client sends on it without first reading what the server sent
    // (a client that picks the socket in the same instant the server closes it).
    const fixture = { mode: 'unmodified', keepAliveTimeoutMs: 30_000 } as const;
    app = await startSupervisedApp({ workers: 1, idleGraceMs: 100 }, fixture);
    const connection = await RawHttpConnection.open(app.port);
    try {
      const first = await connection.get('/');
      expect(first).toMatchObject({ status: 200, body: 'v1', headers: { connection: 'keep-alive', 'keep-alive': 'timeout=30' } });

      // WHEN the worker behind it is retired and the connection stays idle 10 times idleGraceMs
      const result = await withTimeout(app.supervisor.roll(app.release('v2', fixture)), 20_000, 'the roll');
      expect(result.ok).toBe(true);
      await delay(1_000);

      // THEN the request is answered by the old worker, which only then closes the connection
      const second = await connection.get('/');
      expect(second).toMatchObject({ status: 200, body: 'v1', headers: { connection: 'close' } });
      await connection.serverClose(10_000);
    } finally {
      connection.destroy();
    }
  });

  it('closes an idle keep-alive socket of a retired worker after idleGraceMs when its server announces no keep-alive timeout, and the worker exits', async () => {
    const fixture = { mode: 'unmodified', keepAliveTimeoutMs: 0 } as const;
    app = await startSupervisedApp({ workers: 1, idleGraceMs: 100 }, fixture);
    const connection = await RawHttpConnection.open(app.port);
    try {
      const first = await connection.get('/');
      expect(first).toMatchObject({ status: 200, body: 'v1', headers: { connection: 'keep-alive' } });
      expect(first.headers['keep-alive']).toBeUndefined();
      const oldPid = app.supervisor.status().slots[0]?.pid;

      const result = await withTimeout(app.supervisor.roll(app.release('v2', fixture)), 20_000, 'the roll');
      expect(result.ok).toBe(true);
      const old = app.supervisor.allWorkers().find((w) => w.pid === oldPid);

      await connection.serverClose(10_000);
      if (old) expect(await withTimeout(old.exited, 10_000, 'the retired worker to exit')).toEqual({ code: 0, signal: null });
      expect(app.supervisor.allWorkers().map((w) => w.pid)).not.toContain(oldPid);
    } finally {
      connection.destroy();
    }
  });

  it("keeps requests whole when the cluster distributes connections itself (schedulingPolicy 'none')", async () => {
    app = await startSupervisedApp({ workers: 2, schedulingPolicy: 'none' }, { mode: 'unmodified' });
    const load = startLoad({ port: app.port, keepAliveConcurrency: 4, freshConcurrency: 2, wsClients: 10 });
    try {
      await load.waitFor((r) => (r.versions.v1 ?? 0) > 20 && r.wsVersionsAtEnd.v1 === 10, 10_000, 'load on v1');
      load.resetCounters();
      const result = await withTimeout(app.supervisor.roll(app.release('v2', { mode: 'unmodified' })), 20_000, 'the roll');
      expect(result.ok).toBe(true);
      await load.waitFor((r) => r.wsVersionsAtEnd.v2 === 10, 10_000, 'WebSocket clients on v2');
      const report = await load.stop();
      expect(report.failures).toEqual([]);
      expect(report.abnormalWsCloses).toBe(0);
    } finally {
      await load.stop();
    }
  });
});
