/**
 * `npm run demo`: the product's main job on its embedded default (a local
 * directory store, no AWS). Publishes v1 of the example app, starts
 * deploy-agent on it, puts HTTP + WebSocket load on it, pushes v2 (a zero-
 * downtime roll), pushes a broken v3 (an automatic rollback), stops
 * everything, and ends with one JSON line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from '../test/support/fixture-releases';
import { freePort } from '../test/support/free-port';
import { startLoad } from '../test/support/load/load-client';
import { servedVersion, spawnAgent } from '../test/support/spawned-agent';
import { waitUntil, withTimeout } from '../test/support/with-timeout';

const say = (line: string): void => void process.stdout.write(`${line}\n`);
const dist = (...parts: string[]): string => path.join(repoRoot(), 'dist', ...parts);

function run(command: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [command, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

async function push(store: string, version: string, dir: string): Promise<void> {
  const result = await run(dist('cli', 'main.js'), ['push', version, '--dir', dir, '--store', store]);
  if (result.code !== 0) throw new Error(`deployctl push ${version} failed:\n${result.output}`);
  say(`  $ deployctl push ${version} --dir ${path.basename(dir)} --store ${store}`);
}

async function main(): Promise<void> {
  const work = mkdtempSync(path.join(tmpdir(), 'deployctl-demo-'));
  const store = path.join(work, 'store');
  const port = await freePort();
  let agent: ChildProcess | undefined;
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
        pollIntervalMs: 500,
        control: { socket: path.join(work, 'agent.sock') },
      }),
    );
    const spawned = spawnAgent(config);
    agent = spawned.child;
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

    const report = await load.stop();
    say('6. Stop the agent (SIGTERM: workers drain, exit 0)');
    const exited = new Promise<number | null>((resolve) => agent?.once('exit', (code) => resolve(code)));
    agent.kill('SIGTERM');
    const code = await withTimeout(exited, 20_000, 'deploy-agent to exit');
    agent = undefined;
    say(`   clients saw ${report.requests} requests, ${report.failedRequests} failed, ${report.abnormalWsCloses} abnormal WebSocket closes; agent exit ${code}`);
    const ok = code === 0 && report.failedRequests === 0 && report.abnormalWsCloses === 0 && served.join() === 'v1,v2,v2';
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
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
