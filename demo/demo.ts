/**
 * `npm run demo`: the product's main job on its embedded default (a local
 * directory store, no AWS). Publishes v1 of the example app, starts
 * deploy-agent on it, puts HTTP + WebSocket load on it, pushes v2 (a zero-
 * downtime roll), pushes a broken v3 (an automatic rollback), shows
 * `deployctl status` as an operator sees it, runs `deployctl rollback v1
 * --wait` (a roll back under load), shows `deployctl releases`, stops
 * everything, and ends with one JSON line.
 *
 * `npm run demo -- --keep` leaves its directory (the store, the agent's
 * releases, its config and log) and says where.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from '../test/support/fixture-releases';
import { freePort } from '../test/support/free-port';
import { startLoad } from '../test/support/load/load-client';
import { readInstanceReport } from '../test/support/agent-harness';
import { servedVersion, spawnAgent } from '../test/support/spawned-agent';
import { waitUntil, withTimeout } from '../test/support/with-timeout';

/** The agent's id in its status report (`deployctl status` shows it). */
const instanceId = 'demo-1';
const say = (line: string): void => void process.stdout.write(`${line}\n`);
const dist = (...parts: string[]): string => path.join(repoRoot(), 'dist', ...parts);

const USAGE = 'Usage: npm run demo [-- --keep]   (--keep leaves the demo directory: store, agent releases, config, log)';

/** `deployctl <args>` (the compiled bin): its output, or an error with it. */
function deployctl(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [dist('cli', 'main.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve({ stdout, stderr }) : reject(new Error(`deployctl ${args.join(' ')} exited ${code}:\n${stdout}${stderr}`))));
  });
}

/** Runs `deployctl <args>` against the store and shows it as typed and as printed, indented. */
async function show(store: string, args: string[]): Promise<void> {
  say(`   $ deployctl ${args.join(' ')}`);
  const { stdout } = await deployctl([...args, '--store', store]);
  for (const line of stdout.trimEnd().split('\n')) say(`     ${line}`);
}

async function push(store: string, version: string, dir: string): Promise<void> {
  await deployctl(['push', version, '--dir', dir, '--store', store]);
  say(`   $ deployctl push ${version} --dir ${path.basename(dir)} --store ${store}`);
}

async function main(argv: string[]): Promise<void> {
  const unknown = argv.filter((a) => a !== '--keep');
  if (unknown.length > 0 || argv.includes('--help') || argv.includes('-h')) {
    process.stderr.write(`${unknown.length > 0 && !unknown.includes('--help') && !unknown.includes('-h') ? `demo: unknown argument ${unknown[0]}\n` : ''}${USAGE}\n`);
    process.exitCode = unknown.includes('--help') || unknown.includes('-h') ? 0 : 2;
    return;
  }
  const keep = argv.includes('--keep');
  const work = mkdtempSync(path.join(tmpdir(), 'deployctl-demo-'));
  const store = path.join(work, 'store');
  const port = await freePort();
  let agent: ChildProcess | undefined;
  let logs: Record<string, unknown>[] = [];
  try {
    // A release is a ready-to-run app: its code plus node_modules.
    const app = path.join(work, 'app');
    cpSync(path.join(repoRoot(), 'examples', 'hello'), app, { recursive: true });
    cpSync(path.join(repoRoot(), 'node_modules', 'ws'), path.join(app, 'node_modules', 'ws'), { recursive: true });
    const broken = path.join(work, 'app-broken');
    mkdirSync(broken);
    writeFileSync(path.join(broken, 'server.js'), "throw new Error('v3: missing DATABASE_URL');\n");

    say('1. Publish v1 of the example app to a local release store');
    await push(store, 'v1', app);

    say('2. Start deploy-agent on it (2 workers, health check on /health)');
    const config = path.join(work, 'agent.json');
    writeFileSync(
      config,
      JSON.stringify({
        store,
        app: { port, workers: 2, wsCloseWindowMs: 500, healthCheck: { path: '/health', timeoutMs: 5000 } },
        releasesDir: path.join(work, 'agent'),
        instanceId,
        pollIntervalMs: 500,
        control: { socket: path.join(work, 'agent.sock') },
      }),
    );
    const spawned = spawnAgent(config);
    agent = spawned.child;
    logs = spawned.logs;
    await waitUntil(async () => (await servedVersion(port)) === 'v1', 20_000, 'the agent to serve v1');
    const served = ['v1'];
    say(`   serving v1 on 127.0.0.1:${port}`);

    say('3. Start load: 4 keep-alive loops, 2 fresh-connection loops, 20 WebSocket clients');
    const load = startLoad({ port, keepAliveConcurrency: 4, freshConcurrency: 2, wsClients: 20 });
    await load.waitFor((r) => r.wsVersionsAtEnd.v1 === 20, 10_000, 'WebSocket clients on v1');

    say('4. Push v2: the agent fetches, verifies, unpacks and replaces workers one at a time');
    await push(store, 'v2', app);
    await load.waitFor((r) => r.wsVersionsAtEnd.v2 === 20, 30_000, 'WebSocket clients on v2');
    const rolled = spawned.logs.find((l) => l.version === 'v2' && typeof l.rollMs === 'number');
    served.push((await servedVersion(port)) ?? 'none');
    say(`   v2 is live; roll took ${String(rolled?.rollMs)} ms`);

    say('5. Push a broken v3 (it throws at start-up): the agent rolls back by itself');
    await push(store, 'v3', broken);
    await waitUntil(() => spawned.logs.some((l) => l.version === 'v3' && l.level === 'error'), 30_000, 'the agent to give up on v3');
    const failure = spawned.logs.find((l) => l.version === 'v3' && l.level === 'error');
    served.push((await servedVersion(port)) ?? 'none');
    say(`   v3 refused: ${String(failure?.err).split('\n')[0]}`);
    say(`   still serving ${served[2]}`);

    await waitUntil(
      () => {
        const report = readInstanceReport(store, instanceId);
        return report?.lastDeploy?.version === 'v3' && report.state === 'idle' && report.running === 'v2' && report.workers.ready === report.workers.total;
      },
      10_000,
      'the report of the v3 rollback (back on v2, idle, every worker ready)',
    );

    say('6. What an operator sees: desired.json and every instance');
    await show(store, ['status']);

    say('7. Roll the fleet back to v1 and wait until it runs it (under the same load)');
    await show(store, ['rollback', 'v1', '--wait', '--timeout', '60s']);
    await load.waitFor((r) => r.wsVersionsAtEnd.v1 === 20, 30_000, 'WebSocket clients back on v1');
    served.push((await servedVersion(port)) ?? 'none');
    say(`   serving ${served[3]}`);

    say('8. Every release in the store, and where it runs');
    await show(store, ['releases']);

    const report = await load.stop();
    say('9. Stop the agent (SIGTERM: workers drain, exit 0)');
    const exited = new Promise<number | null>((resolve) => agent?.once('exit', (code) => resolve(code)));
    agent.kill('SIGTERM');
    const code = await withTimeout(exited, 20_000, 'deploy-agent to exit');
    agent = undefined;
    say(`   clients saw ${report.requests} requests, ${report.failedRequests} failed, ${report.abnormalWsCloses} abnormal WebSocket closes; agent exit ${code}`);
    const ok = code === 0 && report.failedRequests === 0 && report.abnormalWsCloses === 0 && served.join() === 'v1,v2,v2,v1';
    if (keep) say(`   kept ${work}: store/ (the release store), agent/ (the agent's releases), agent.json, agent.log; rm -rf it when done`);
    say(
      JSON.stringify({
        ok,
        requests: report.requests,
        failedRequests: report.failedRequests,
        wsClients: report.wsClients,
        abnormalWsCloses: report.abnormalWsCloses,
        served,
        rollMs: rolled?.rollMs ?? null,
      }),
    );
    process.exitCode = ok ? 0 : 1;
  } finally {
    agent?.kill('SIGKILL');
    if (keep) writeFileSync(path.join(work, 'agent.log'), logs.map((l) => JSON.stringify(l)).join('\n') + '\n');
    else rmSync(work, { recursive: true, force: true });
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
