import http from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { drainWebSocketsOnShutdown } from '../../../../agent/app/websocket-drain';
import { withTimeout } from '../../../support/with-timeout';

describe('the websocket-drain helper', () => {
  let server: http.Server;
  let wss: WebSocketServer;
  let port: number;
  beforeEach(async () => {
    server = http.createServer((_req, res) => res.end('ok'));
    wss = new WebSocketServer({ server });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterEach(async () => {
    for (const client of wss.clients) client.terminate();
    await new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
  });

  function connect(): Promise<{ ws: WebSocket; closed: Promise<{ code: number; at: number }> }> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
    const closed = new Promise<{ code: number; at: number }>((resolve) => ws.on('close', (code) => resolve({ code, at: Date.now() })));
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve({ ws, closed }));
      ws.once('error', reject);
    });
  }

  it('stops accepting and closes every socket with 1012, spread evenly over the window', async () => {
    const drain = drainWebSocketsOnShutdown(wss, { servers: [server], holdUntilReleased: false });
    const clients = await Promise.all(Array.from({ length: 20 }, connect));
    await withTimeout(
      new Promise<void>((resolve) => {
        const check = setInterval(() => wss.clients.size === 20 && (clearInterval(check), resolve()), 10);
      }),
      5_000,
      'the server to see 20 clients',
    );

    const started = Date.now();
    await withTimeout(drain.shutdown(600), 10_000, 'the helper to close every socket');
    const closes = await Promise.all(clients.map((c) => c.closed));

    expect(closes.map((c) => c.code)).toEqual(Array.from({ length: 20 }, () => 1012));
    const offsets = closes.map((c) => c.at - started).sort((a, b) => a - b);
    // Spread, not a herd: the first half closes clearly before the last ones.
    expect(offsets[0]).toBeLessThan(200);
    expect(offsets[19]).toBeGreaterThanOrEqual(500);
    expect(server.listening).toBe(false);
  });

  it('marks its sockets so the drain preload leaves them to it', async () => {
    drainWebSocketsOnShutdown(wss, { holdUntilReleased: true });
    const seen = new Promise<Record<symbol, unknown>>((resolve) =>
      wss.once('connection', (_ws, req) => setImmediate(() => resolve(req.socket as unknown as Record<symbol, unknown>))),
    );
    const { ws } = await connect();
    const socket = await withTimeout(seen, 5_000, 'the server-side socket');
    expect(socket[Symbol.for('deployctl.websocketManaged')]).toBe(true);
    ws.terminate();
  });
});
