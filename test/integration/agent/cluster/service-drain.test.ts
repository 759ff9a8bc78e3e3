import http from 'node:http';
import WebSocket from 'ws';
import { ServiceDrain } from '../../../../agent/cluster/service-drain';
import { openConnectionsOf } from '../../../../agent/traffic/open-connections';
import { startSupervisedApp, type SupervisedApp } from '../../../support/supervised-app';
import { waitUntil, withTimeout } from '../../../support/with-timeout';

interface Answer {
  readonly status: number;
  readonly connection: string | undefined;
  readonly reused: boolean;
}

function get(port: number, agent: http.Agent | false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, reused: req.reusedSocket }));
    });
    req.on('error', reject);
  });
}

function openWebSocket(port: number): Promise<{ ws: WebSocket; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
    const closed = new Promise<number>((done) => ws.once('close', (code) => done(code)));
    ws.once('open', () => resolve({ ws, closed }));
    ws.once('error', reject);
  });
}

describe('service-out drain of the workers (the instance leaves the load balancer)', () => {
  let app: SupervisedApp | undefined;
  const agents: http.Agent[] = [];
  afterEach(async () => {
    for (const agent of agents.splice(0)) agent.destroy();
    await app?.close();
    app = undefined;
  });

  function keepAliveAgent(): http.Agent {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    agents.push(agent);
    return agent;
  }

  it('lets idle keep-alive sockets go and counts down to no open connection, while still listening', async () => {
    app = await startSupervisedApp({ workers: 2, idleGraceMs: 200 });
    const agent = keepAliveAgent();
    await Promise.all([get(app.port, agent), get(app.port, agent), get(app.port, agent)]);
    const drain = new ServiceDrain(app.supervisor);
    await waitUntil(async () => ((await drain.openConnections(500)) ?? 0) >= 3, 5_000, 'the workers to count the 3 pooled keep-alive sockets');

    drain.enterServiceDrain();
    await waitUntil(async () => (await drain.openConnections(500)) === 0, 10_000, 'the workers to report no open connection');

    // Still listening: a request is served, and told not to keep the connection.
    const during = await get(app.port, agent);
    expect(during).toMatchObject({ status: 200, connection: 'close' });

    drain.leaveServiceDrain();
    const after = await get(app.port, agent);
    expect(after).toMatchObject({ status: 200, connection: 'keep-alive' });
  });

  it('closes WebSockets with 1012 so their clients reconnect elsewhere', async () => {
    app = await startSupervisedApp({ workers: 2, wsCloseWindowMs: 200 });
    const sockets = await Promise.all([openWebSocket(app.port), openWebSocket(app.port), openWebSocket(app.port)]);
    try {
      const drain = new ServiceDrain(app.supervisor);
      drain.enterServiceDrain();
      const codes = await withTimeout(Promise.all(sockets.map((s) => s.closed)), 10_000, 'the WebSockets to be closed');
      expect(codes).toEqual([1012, 1012, 1012]);
      await waitUntil(async () => (await drain.openConnections(500)) === 0, 10_000, 'no open connection after the WebSockets closed');
    } finally {
      for (const { ws } of sockets) ws.terminate();
    }
  });

  it('counts open sockets from the kernel when the drain preload is off', async () => {
    app = await startSupervisedApp({ workers: 1, drainPreload: false });
    const drain = new ServiceDrain(app.supervisor);
    expect(await drain.openConnections(500)).toBeUndefined();
    const count = openConnectionsOf(drain, app.port);
    const agent = keepAliveAgent();
    await Promise.all([get(app.port, agent), get(app.port, agent)]);
    await waitUntil(async () => (await count())?.open === 2, 5_000, 'the kernel to list the 2 pooled keep-alive sockets');
    expect(await count()).toEqual({ open: 2, source: 'kernel' });
    agent.destroy();
    await waitUntil(async () => (await count())?.open === 0, 5_000, 'the kernel to list no socket once the client closed them');
  });
});
