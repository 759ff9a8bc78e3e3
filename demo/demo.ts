/**
 * `npm run demo`: the supervisor replaces the example app's workers under
 * HTTP + WebSocket load and counts what the clients saw. Ends with one JSON line.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ClusterHost } from '../agent/cluster/cluster-host';
import { Supervisor } from '../agent/cluster/supervisor';
import { repoRoot } from '../test/support/fixture-releases';
import { freePort } from '../test/support/free-port';
import { startLoad } from '../test/support/load/load-client';

const say = (line: string): void => void process.stdout.write(`${line}\n`);

function makeRelease(root: string, version: string) {
  const dir = path.join(root, version);
  cpSync(path.join(repoRoot(), 'examples', 'hello'), dir, { recursive: true });
  cpSync(path.join(repoRoot(), 'node_modules', 'ws'), path.join(dir, 'node_modules', 'ws'), { recursive: true });
  return { version, dir };
}

async function main(): Promise<void> {
  const root = mkdtempSync(path.join(tmpdir(), 'deployctl-demo-'));
  const port = await freePort();
  const supervisor = new Supervisor(
    { port, workers: 2, wsCloseWindowMs: 500 },
    { host: new ClusterHost('rr'), output: { stdout: () => undefined, stderr: (c) => process.stderr.write(c) } },
  );
  try {
    say(`Starting 2 workers of v1 on 127.0.0.1:${port}`);
    await supervisor.start(makeRelease(root, 'v1'));
    const load = startLoad({ port, keepAliveConcurrency: 4, freshConcurrency: 2, wsClients: 20 });
    await load.waitFor((r) => r.wsVersionsAtEnd.v1 === 20, 10_000, 'WebSocket clients on v1');
    say('Load running: 4 keep-alive loops, 2 fresh-connection loops, 20 WebSocket clients');
    say('Rolling to v2, one worker at a time');
    const result = await supervisor.roll(makeRelease(root, 'v2'));
    say(`Roll ${result.ok ? 'done' : 'FAILED'} in ${result.rollMs} ms`);
    await load.waitFor((r) => r.wsVersionsAtEnd.v2 === 20, 10_000, 'WebSocket clients on v2');
    const report = await load.stop();
    say(`Clients saw ${report.requests} requests, ${report.failedRequests} failed; ${report.abnormalWsCloses} abnormal WebSocket closes`);
    const ok = result.ok && report.failedRequests === 0 && report.abnormalWsCloses === 0;
    say(
      JSON.stringify({
        ok,
        requests: report.requests,
        failedRequests: report.failedRequests,
        wsClients: report.wsClients,
        abnormalWsCloses: report.abnormalWsCloses,
        served: Object.keys(report.versions),
        rollMs: result.rollMs,
      }),
    );
    process.exitCode = ok ? 0 : 1;
  } finally {
    await supervisor.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
