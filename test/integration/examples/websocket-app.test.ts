import { copyFileSync, cpSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { startAgentHarness, type AgentHarness } from '../../support/agent-harness';
import { runCli } from '../../support/cli-harness';
import { repoRoot } from '../../support/fixture-releases';
import { startLoad } from '../../support/load/load-client';
import { waitUntil } from '../../support/with-timeout';

/** The README's WebSocket example (the README shows this file; test/unit/docs checks they agree). */
const WEBSOCKET_EXAMPLE = path.join('examples', 'websocket-app', 'server.js');

/**
 * A release of the example as an operator builds one: its server.js, `ws`, and
 * the deployctl package (package.json + dist/agent, what `npm pack` ships for
 * `deployctl/websocket-drain`) in node_modules.
 */
function buildExampleRelease(work: string): string {
  const dir = path.join(work, 'websocket-app');
  const root = repoRoot();
  mkdirSync(path.join(dir, 'node_modules', 'deployctl', 'dist'), { recursive: true });
  copyFileSync(path.join(root, WEBSOCKET_EXAMPLE), path.join(dir, 'server.js'));
  cpSync(path.join(root, 'node_modules', 'ws'), path.join(dir, 'node_modules', 'ws'), { recursive: true });
  copyFileSync(path.join(root, 'package.json'), path.join(dir, 'node_modules', 'deployctl', 'package.json'));
  cpSync(path.join(root, 'dist', 'agent'), path.join(dir, 'node_modules', 'deployctl', 'dist', 'agent'), { recursive: true });
  return dir;
}

async function push(h: AgentHarness, version: string, dir: string): Promise<void> {
  const run = await runCli(['push', version, '--dir', dir, '--store', h.store], { cwd: h.work });
  if (run.code !== 0) throw new Error(`deployctl push ${version} failed: ${run.stderr}`);
}

describe('the WebSocket example app (examples/websocket-app)', () => {
  let h: AgentHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('moves every client to the new release with one 1012 close each and no failed request', async () => {
    h = await startAgentHarness({ app: { workers: 2, wsCloseWindowMs: 300 } });
    const harness = h;
    const app = buildExampleRelease(harness.work);
    await push(harness, 'v1', app);
    await harness.agent.start();
    await waitUntil(() => harness.agent.status.version === 'v1', 20_000, 'the agent to run v1 of the example');
    const load = startLoad({ port: harness.port, keepAliveConcurrency: 2, freshConcurrency: 1, wsClients: 20 });
    try {
      await load.waitFor((r) => r.wsVersionsAtEnd.v1 === 20, 10_000, '20 WebSocket clients on v1');
      load.resetCounters();
      await push(harness, 'v2', app);
      await load.waitFor((r) => r.wsVersionsAtEnd.v2 === 20 && (r.versions.v2 ?? 0) > 0, 30_000, 'every client on v2');
      const report = await load.stop();

      expect(report.wsFailures).toEqual([]);
      expect(report.abnormalWsCloses).toBe(0);
      expect(report.wsCloseCodes).toEqual({ 1012: 20 });
      expect(report.wsClosesPerClient).toBe(1);
      expect(report.failures).toEqual([]);
      expect(report.failedRequests).toBe(0);
    } finally {
      await load.stop();
    }
  });

  it('closes its sockets with 1012 through the helper alone when the drain preload is off', async () => {
    h = await startAgentHarness({ app: { workers: 2, wsCloseWindowMs: 300, drainPreload: false } });
    const harness = h;
    const app = buildExampleRelease(harness.work);
    await push(harness, 'v1', app);
    await harness.agent.start();
    await waitUntil(() => harness.agent.status.version === 'v1', 20_000, 'the agent to run v1 of the example');
    // WebSocket clients only: without the preload, keep-alive HTTP draining is the app's own business.
    const load = startLoad({ port: harness.port, keepAliveConcurrency: 0, freshConcurrency: 0, wsClients: 20 });
    try {
      await load.waitFor((r) => r.wsVersionsAtEnd.v1 === 20, 10_000, '20 WebSocket clients on v1');
      load.resetCounters();
      await push(harness, 'v2', app);
      await load.waitFor((r) => r.wsVersionsAtEnd.v2 === 20, 30_000, 'every client on v2');
      const report = await load.stop();

      expect(report.wsFailures).toEqual([]);
      expect(report.abnormalWsCloses).toBe(0);
      expect(Object.keys(report.wsCloseCodes)).toEqual(['1012']);
      expect(report.wsCloses).toBeGreaterThanOrEqual(20);
    } finally {
      await load.stop();
    }
  });
});
