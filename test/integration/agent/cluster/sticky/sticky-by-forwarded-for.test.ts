import http from 'node:http';
import { startAgentHarness, type AgentHarness } from '../../../../support/agent-harness';
import { waitUntil, withTimeout } from '../../../../support/with-timeout';

jest.setTimeout(180_000);

const WORKERS = 4;

/** What one request reached. */
interface Hit {
  readonly pid: string;
  readonly version: string;
}

/** A client of the app: one client address (or none: tied by its peer), requests on keep-alive and on fresh connections. */
interface Client {
  readonly name: string;
  /** Sent as `X-Forwarded-For: <forwardedFor>, 10.0.0.1` (the ALB appends; the first entry is the client). */
  readonly forwardedFor?: string;
  /** The peer address the client connects from (127.0.0.0/8 is all loopback on Linux). */
  readonly localAddress: string;
  readonly keepAlive: http.Agent;
  readonly hits: Hit[];
  readonly failures: string[];
}

function makeClient(name: string, forwardedFor: string | undefined, localAddress = '127.0.0.1'): Client {
  return {
    name,
    ...(forwardedFor !== undefined ? { forwardedFor } : {}),
    localAddress,
    keepAlive: new http.Agent({ keepAlive: true, maxSockets: 1 }),
    hits: [],
    failures: [],
  };
}

/** GET / once; `fresh`: on a new connection that closes after the answer. */
function get(port: number, client: Client, fresh: boolean): Promise<void> {
  return new Promise<void>((resolve) => {
    const headers: http.OutgoingHttpHeaders = fresh ? { connection: 'close' } : {};
    if (client.forwardedFor !== undefined) headers['x-forwarded-for'] = `${client.forwardedFor}, 10.0.0.1`;
    const req = http.request(
      { host: '127.0.0.1', port, path: '/', localAddress: client.localAddress, headers, agent: fresh ? false : client.keepAlive, timeout: 30_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const pid = res.headers['x-worker-pid'];
          const version = res.headers['x-app-version'];
          if (res.statusCode !== 200 || typeof pid !== 'string' || typeof version !== 'string') {
            client.failures.push(`${client.name}: status ${res.statusCode} ${Buffer.concat(chunks).toString().slice(0, 80)}`);
          } else client.hits.push({ pid, version });
          resolve();
        });
        res.on('error', (e) => {
          client.failures.push(`${client.name}: ${e.message}`);
          resolve();
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 30000 ms')));
    req.on('error', (e) => {
      client.failures.push(`${client.name}: ${e.message}`);
      resolve();
    });
    req.end();
  });
}

/** The worker pids a client reached, in order, repeats collapsed. */
function runs(client: Client): Hit[] {
  const out: Hit[] = [];
  for (const hit of client.hits) if (out[out.length - 1]?.pid !== hit.pid) out.push(hit);
  return out;
}

/** Keeps every client requesting (alternating keep-alive and fresh connections) until stopped. */
function startLoop(port: number, clients: readonly Client[]): { stop(): Promise<void> } {
  let running = true;
  const loops = clients.map(async (client) => {
    for (let i = 0; running; i += 1) await get(port, client, i % 2 === 1);
  });
  return {
    async stop() {
      running = false;
      await withTimeout(Promise.all(loops), 60_000, 'the client loops to finish their last requests');
    },
  };
}

/**
 * `app.sticky.by: "x-forwarded-for"` (docs/design.md §9): behind the ALB, a
 * client is its first X-Forwarded-For entry (else its peer address), and all
 * its requests, on any connection, reach one worker until that worker retires.
 */
describe('schedulingPolicy "sticky" with sticky.by "x-forwarded-for" (a real agent, 4 workers)', () => {
  let h: AgentHarness | undefined;
  const clients: Client[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.keepAlive.destroy();
    await h?.close();
    h = undefined;
  });

  async function startOnV1(): Promise<AgentHarness> {
    h = await startAgentHarness({ app: { workers: WORKERS, schedulingPolicy: 'sticky', sticky: { by: 'x-forwarded-for' }, wsCloseWindowMs: 300, idleGraceMs: 200 } });
    const harness = h;
    await harness.push('v1', { mode: 'unmodified', requestMs: 5 });
    await harness.agent.start();
    await waitUntil(() => harness.agent.status.version === 'v1' && !harness.agent.status.rolling, 30_000, 'the agent to run v1');
    return harness;
  }

  it('ties each client address to one worker on keep-alive and fresh connections; distinct clients spread; no header: tied by the peer', async () => {
    const harness = await startOnV1();
    const forwarded = Array.from({ length: 12 }, (_, i) => makeClient(`client 203.0.113.${i + 1}`, `203.0.113.${i + 1}`));
    const byPeer = [makeClient('peer 127.0.0.1', undefined, '127.0.0.1'), makeClient('peer 127.0.0.2', undefined, '127.0.0.2')];
    clients.push(...forwarded, ...byPeer);
    // Interleaved rounds: every client's requests compete with every other's for the same workers.
    for (let round = 0; round < 6; round += 1) {
      await Promise.all(clients.map((c) => get(harness.port, c, round % 2 === 1)));
    }
    for (const c of clients) {
      expect({ client: c.name, failures: c.failures }).toEqual({ client: c.name, failures: [] });
      expect({ client: c.name, hits: c.hits.length }).toEqual({ client: c.name, hits: 6 });
      expect({ client: c.name, workers: new Set(c.hits.map((x) => x.pid)).size }).toEqual({ client: c.name, workers: 1 });
    }
    const workersOfClients = new Set(forwarded.map((c) => c.hits[0]?.pid));
    expect(workersOfClients.size).toBeGreaterThan(1);
  });

  it('across a roll, a client stays on its worker until that worker retires, then on one new worker; 0 failed requests', async () => {
    const harness = await startOnV1();
    clients.push(...Array.from({ length: 8 }, (_, i) => makeClient(`client 198.51.100.${i + 1}`, `198.51.100.${i + 1}`)));
    clients.push(makeClient('peer 127.0.0.3', undefined, '127.0.0.3'));
    const loop = startLoop(harness.port, clients);
    try {
      await waitUntil(() => clients.every((c) => c.hits.length >= 4), 30_000, 'every client to be served by v1');
      await harness.push('v2', { mode: 'unmodified', requestMs: 5 });
      await waitUntil(() => harness.agent.status.version === 'v2' && !harness.agent.status.rolling, 90_000, 'the roll to v2 to finish');
      const served = clients.map((c) => c.hits.length);
      await waitUntil(() => clients.every((c, i) => c.hits.length >= (served[i] ?? 0) + 4), 30_000, 'every client to be served after the roll');
    } finally {
      await loop.stop();
    }
    for (const c of clients) {
      expect({ client: c.name, failures: c.failures }).toEqual({ client: c.name, failures: [] });
      const r = runs(c);
      // One v1 worker, then (once it retired) one v2 worker: never back, never a third.
      expect({ client: c.name, runs: r.map((x) => x.version) }).toEqual({ client: c.name, runs: ['v1', 'v2'] });
    }
  });
});
