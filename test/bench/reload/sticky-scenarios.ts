/**
 * The socket.io scenarios of `npm run bench:reload` (issue #15): the same real
 * socket.io-client@4 clients against one unmodified socket.io app under
 * deployctl `sticky`, deployctl `rr` and pm2 cluster mode, each rolled once;
 * and plain-HTTP keep-alive throughput of `sticky` against `rr`.
 * Also runnable alone: `node dist/test/bench/reload/sticky-bench.js`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { formatTable } from '../../../cli/output/text-table';
import { startAgentHarness, type AgentHarness } from '../../support/agent-harness';
import { runCli } from '../../support/cli-harness';
import { freePort } from '../../support/free-port';
import { startLoad } from '../../support/load/load-client';
import { makeAppRelease, type FixtureApp } from '../../support/socketio/socketio-release';
import { SocketIoLoad, type SocketIoLoadReport } from '../../support/socketio/socketio-load';
import { waitUntil } from '../../support/with-timeout';
import { Pm2Cli } from './pm2-cli';
import { progress } from './run-once';

export type StickyScenario = 'socketio-polling' | 'socketio-upgrade';

export interface StickyRow {
  readonly tool: 'deployctl' | 'pm2';
  readonly scenario: StickyScenario;
  readonly policy: 'sticky' | 'rr';
  readonly workers: number;
  readonly clients: number;
  /** Clients connected once the roll had settled (or its wait timed out). */
  readonly connectedAtEnd: number;
  readonly connectErrors: number;
  readonly sessionIdUnknown: number;
  readonly lostAcks: number;
  readonly acks: number;
  readonly reconnectsPerClient: number;
  /** Failed socket.io requests: connect errors plus transport errors. */
  readonly failedRequests: number;
}

export interface StickyBenchResult {
  readonly rows: StickyRow[];
  readonly throughput: { readonly stickyRps: number; readonly rrRps: number; readonly stickyFailed: number; readonly rrFailed: number };
  /** sticky requests/s over rr requests/s on the plain HTTP fixture. */
  readonly stickyThroughputRatio: number;
}

const CLIENTS = 30;
const SETTLE_MS = 15_000;
/** Short: under rr most emits never get an ack, and stopping waits for their retries. */
const ACK_TIMEOUT_MS = 2_000;
const THROUGHPUT_MS = 5_000;

function transportsOf(scenario: StickyScenario): ('polling' | 'websocket')[] {
  return scenario === 'socketio-polling' ? ['polling'] : ['polling', 'websocket'];
}

function row(tool: StickyRow['tool'], scenario: StickyScenario, policy: StickyRow['policy'], workers: number, r: SocketIoLoadReport): StickyRow {
  return {
    tool,
    scenario,
    policy,
    workers,
    clients: r.clients,
    connectedAtEnd: r.connected,
    connectErrors: r.connectErrors,
    sessionIdUnknown: r.sessionIdUnknown,
    lostAcks: r.lostAcks,
    acks: r.acks,
    reconnectsPerClient: Math.round(r.reconnectsPerClient * 100) / 100,
    failedRequests: r.connectErrors + (r.disconnectReasons['transport error'] ?? 0),
  };
}

async function push(h: AgentHarness, version: string, dir: string): Promise<void> {
  const run = await runCli(['push', version, '--dir', dir, '--store', h.store], { cwd: h.work });
  if (run.code !== 0) throw new Error(`deployctl push ${version} failed: ${run.stderr}`);
}

const quietly = (p: Promise<void>): Promise<void> => p.catch(() => undefined);

/** Clients connect to v1, the release rolls to v2, and the counts cover the whole run. */
async function clientsThroughRoll(port: number, scenario: StickyScenario, roll: () => Promise<void>): Promise<SocketIoLoadReport> {
  const load = new SocketIoLoad({ port, clients: CLIENTS, transports: transportsOf(scenario), ackTimeoutMs: ACK_TIMEOUT_MS });
  try {
    await quietly(load.waitFor((r) => r.connected === CLIENTS && r.versionsAtEnd.v1 === CLIENTS, SETTLE_MS, 'clients on v1'));
    await roll();
    await quietly(load.waitFor((r) => r.connected === CLIENTS && r.versionsAtEnd.v2 === CLIENTS, SETTLE_MS, 'clients on v2'));
    return await load.stop();
  } finally {
    await load.stop();
  }
}

async function deployctlRow(scenario: StickyScenario, policy: 'sticky' | 'rr', workers: number): Promise<StickyRow> {
  const h = await startAgentHarness({ app: { workers, schedulingPolicy: policy, wsCloseWindowMs: 1000 } });
  try {
    const dir = makeAppRelease(h.work, 'socketio-app');
    await push(h, 'v1', dir);
    await h.agent.start();
    await waitUntil(() => h.agent.status.version === 'v1', 30_000, 'the agent to run v1');
    const report = await clientsThroughRoll(h.port, scenario, async () => {
      await push(h, 'v2', dir);
      await waitUntil(() => h.agent.status.version === 'v2' && !h.agent.status.rolling, 60_000, 'the roll to v2');
    });
    return row('deployctl', scenario, policy, workers, report);
  } finally {
    await h.close();
  }
}

async function pm2Row(scenario: StickyScenario, workers: number): Promise<StickyRow> {
  const work = mkdtempSync(path.join(tmpdir(), 'deployctl-bench-pm2-'));
  const pm2 = new Pm2Cli(path.join(work, 'pm2-home'));
  try {
    const port = await freePort();
    const app = path.join(makeAppRelease(work, 'socketio-app'), 'server.js');
    const env = (version: string) => ({ PORT: String(port), APP_VERSION: version });
    await pm2.run(['start', app, '-i', String(workers), '--name', 'bench-socketio'], env('v1'), 30_000);
    const report = await clientsThroughRoll(port, scenario, async () => {
      await pm2.run(['reload', 'bench-socketio', '--update-env'], env('v2'), 120_000);
    });
    return row('pm2', scenario, 'rr', workers, report);
  } finally {
    await pm2.kill();
    rmSync(work, { recursive: true, force: true });
  }
}

async function requestsPerSecond(policy: 'sticky' | 'rr', workers: number, app: FixtureApp): Promise<{ rps: number; failed: number }> {
  const h = await startAgentHarness({ app: { workers, schedulingPolicy: policy } });
  try {
    await push(h, 'v1', makeAppRelease(h.work, app));
    await h.agent.start();
    await waitUntil(() => h.agent.status.version === 'v1', 30_000, 'the agent to run v1');
    const load = startLoad({ port: h.port, keepAliveConcurrency: 16, freshConcurrency: 0 });
    await new Promise((resolve) => setTimeout(resolve, 1000)); // warm-up
    load.resetCounters();
    const started = Date.now();
    await new Promise((resolve) => setTimeout(resolve, THROUGHPUT_MS));
    const report = load.snapshot();
    const seconds = (Date.now() - started) / 1000;
    await load.stop();
    return { rps: Math.round(report.requests / seconds), failed: report.failedRequests };
  } finally {
    await h.close();
  }
}

export async function runStickyScenarios(workers: number, withPm2: boolean): Promise<StickyBenchResult> {
  progress(`  throughput sticky vs rr (express fixture, keep-alive) workers=${workers}`);
  const sticky = await requestsPerSecond('sticky', workers, 'express-app');
  const rr = await requestsPerSecond('rr', workers, 'express-app');
  progress(`    sticky ${sticky.rps} req/s (${sticky.failed} failed), rr ${rr.rps} req/s (${rr.failed} failed)`);
  const rows: StickyRow[] = [];
  const scenarios = ['socketio-polling', 'socketio-upgrade'] as const;
  for (const scenario of scenarios) {
    for (const policy of ['sticky', 'rr'] as const) {
      progress(`  deployctl ${policy} ${scenario} workers=${workers}`);
      rows.push(await deployctlRow(scenario, policy, workers));
      progress(`    ${JSON.stringify(rows.at(-1))}`);
    }
  }
  // pm2 last: its rows take longest (its reload waits on old workers the clients keep busy).
  for (const scenario of withPm2 ? scenarios : []) {
    progress(`  pm2 cluster ${scenario} workers=${workers}`);
    rows.push(await pm2Row(scenario, workers));
    progress(`    ${JSON.stringify(rows.at(-1))}`);
  }
  return {
    rows,
    throughput: { stickyRps: sticky.rps, rrRps: rr.rps, stickyFailed: sticky.failed, rrFailed: rr.failed },
    stickyThroughputRatio: rr.rps > 0 ? Math.round((sticky.rps / rr.rps) * 1000) / 1000 : 0,
  };
}

export function stickyTable(result: StickyBenchResult): string {
  const header = ['tool', 'policy', 'scenario', 'workers', 'connected', 'connectErrors', 'sessionIdUnknown', 'lostAcks', 'reconnects/client', 'failed'];
  const lines = formatTable(
    header,
    result.rows.map((r) => [r.tool, r.policy, r.scenario, String(r.workers), `${r.connectedAtEnd}/${r.clients}`, String(r.connectErrors), String(r.sessionIdUnknown), String(r.lostAcks), String(r.reconnectsPerClient), String(r.failedRequests)]),
  );
  const t = result.throughput;
  lines.push('', `plain HTTP keep-alive: sticky ${t.stickyRps} req/s (${t.stickyFailed} failed), rr ${t.rrRps} req/s (${t.rrFailed} failed), ratio ${result.stickyThroughputRatio}`);
  return lines.join('\n');
}
