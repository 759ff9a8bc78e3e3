import http from 'node:http';
import { startAgentHarness, type AgentHarness } from '../../../../support/agent-harness';
import { runCli } from '../../../../support/cli-harness';
import { makeAppRelease } from '../../../../support/socketio/socketio-release';
import { SocketIoLoad, type SocketIoLoadReport } from '../../../../support/socketio/socketio-load';
import { waitUntil } from '../../../../support/with-timeout';

jest.setTimeout(180_000);

const CLIENTS = 30;

async function push(h: AgentHarness, version: string, dir: string): Promise<void> {
  const run = await runCli(['push', version, '--dir', dir, '--store', h.store], { cwd: h.work });
  if (run.code !== 0) throw new Error(`deployctl push ${version} failed: ${run.stderr}`);
}

const allOn = (version: string) => (r: SocketIoLoadReport) => r.connected === CLIENTS && r.versionsAtEnd[version] === CLIENTS;

describe('socket.io under schedulingPolicy "sticky" (a real agent, 4 workers, real socket.io-client@4)', () => {
  let h: AgentHarness | undefined;
  let load: SocketIoLoad | undefined;
  let agent: http.Agent | undefined;
  afterEach(async () => {
    await load?.stop();
    agent?.destroy();
    await h?.close();
    h = undefined;
    load = undefined;
    agent = undefined;
  });

  async function startOnV1(): Promise<{ harness: AgentHarness; app: string }> {
    h = await startAgentHarness({ app: { workers: 4, schedulingPolicy: 'sticky', wsCloseWindowMs: 1000 } });
    const harness = h;
    const app = makeAppRelease(harness.work, 'socketio-app');
    await push(harness, 'v1', app);
    await harness.agent.start();
    await waitUntil(() => harness.agent.status.version === 'v1', 30_000, 'the agent to run v1 of the socket.io app');
    return { harness, app };
  }

  async function rollUnderLoad(options: { transports?: ('polling' | 'websocket')[]; agent?: http.Agent }): Promise<SocketIoLoadReport> {
    const { harness, app } = await startOnV1();
    const l = new SocketIoLoad({ port: harness.port, clients: CLIENTS, ...options });
    load = l;
    await l.waitFor(allOn('v1'), 30_000, `${CLIENTS} socket.io clients acked by v1`);
    const before = l.snapshot();
    expect(before.connectErrors).toBe(0);
    expect(before.sessionIdUnknown).toBe(0);
    l.resetCounters();
    await push(harness, 'v2', app);
    await l.waitFor(allOn('v2'), 60_000, `${CLIENTS} socket.io clients acked by v2`);
    await waitUntil(() => harness.agent.status.version === 'v2' && !harness.agent.status.rolling, 30_000, 'the roll to v2 to finish');
    return l.stop();
  }

  function expectCleanRoll(report: SocketIoLoadReport): void {
    expect(report.failures).toEqual([]);
    expect(report.connectErrors).toBe(0);
    expect(report.sessionIdUnknown).toBe(0);
    expect(report.lostAcks).toBe(0);
    expect(report.maxReconnectsPerClient).toBeLessThanOrEqual(1);
    expect(report.acks).toBeGreaterThan(0);
  }

  it('connects every long-polling client and rolls them to the new release with at most one reconnect each', async () => {
    const report = await rollUnderLoad({ transports: ['polling'] });
    expectCleanRoll(report);
    expect(report.transports).toEqual({ polling: CLIENTS });
    // Each session was claimed by its worker: 30 on v1, 30 again on v2.
    expect(h?.agent.stickyStats()?.claims).toBeGreaterThanOrEqual(2 * CLIENTS);
  });

  it('connects clients that upgrade to WebSocket (the default transports) and rolls them', async () => {
    const report = await rollUnderLoad({});
    expectCleanRoll(report);
    expect(report.transports).toEqual({ websocket: CLIENTS });
  });

  it('routes each request to its session when many polling clients share one keep-alive agent', async () => {
    // No socket cap: a capped pool would starve the long polls (a browser caps at 6 per origin).
    agent = new http.Agent({ keepAlive: true });
    const report = await rollUnderLoad({ transports: ['polling'], agent });
    expectCleanRoll(report);
    // The clients did share connections: workers forwarded other workers' sessions.
    expect(h?.agent.stickyStats()?.forwarded).toBeGreaterThan(0);
  });
});
