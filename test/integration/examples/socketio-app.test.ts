import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { startAgentHarness, type AgentHarness } from '../../support/agent-harness';
import { runCli } from '../../support/cli-harness';
import { repoRoot } from '../../support/fixture-releases';
import { SocketIoLoad } from '../../support/socketio/socketio-load';
import { waitUntil } from '../../support/with-timeout';

jest.setTimeout(120_000);

/** The README's socket.io example (the README shows this file; test/unit/docs checks they agree). */
const SOCKETIO_EXAMPLE = path.join('examples', 'socketio-app', 'server.js');
const CLIENTS = 20;

/**
 * A release of the example: its server.js and package.json. Its one dependency,
 * socket.io, resolves from this repository's devDependencies (NODE_PATH in
 * app.env) instead of a copy in the release's node_modules.
 */
function buildExampleRelease(work: string): string {
  const dir = path.join(work, 'socketio-app');
  mkdirSync(dir, { recursive: true });
  copyFileSync(path.join(repoRoot(), SOCKETIO_EXAMPLE), path.join(dir, 'server.js'));
  copyFileSync(path.join(repoRoot(), 'examples', 'socketio-app', 'package.json'), path.join(dir, 'package.json'));
  return dir;
}

async function push(h: AgentHarness, version: string, dir: string): Promise<void> {
  const run = await runCli(['push', version, '--dir', dir, '--store', h.store], { cwd: h.work });
  if (run.code !== 0) throw new Error(`deployctl push ${version} failed: ${run.stderr}`);
}

describe('the socket.io example app (examples/socketio-app)', () => {
  let h: AgentHarness | undefined;
  let load: SocketIoLoad | undefined;
  afterEach(async () => {
    await load?.stop();
    await h?.close();
    h = undefined;
    load = undefined;
  });

  it('serves long-polling clients from every worker and moves them to the new release with one reconnect each', async () => {
    h = await startAgentHarness({
      app: { workers: 3, schedulingPolicy: 'sticky', wsCloseWindowMs: 500, env: { NODE_PATH: path.join(repoRoot(), 'node_modules') } },
    });
    const harness = h;
    const app = buildExampleRelease(harness.work);
    await push(harness, 'v1', app);
    await harness.agent.start();
    await waitUntil(() => harness.agent.status.version === 'v1', 30_000, 'the agent to run v1 of the example');
    const l = new SocketIoLoad({ port: harness.port, clients: CLIENTS, transports: ['polling'] });
    load = l;
    await l.waitFor((r) => r.connected === CLIENTS && r.versionsAtEnd.v1 === CLIENTS, 30_000, `${CLIENTS} clients acked by v1`);
    l.resetCounters();
    await push(harness, 'v2', app);
    await l.waitFor((r) => r.connected === CLIENTS && r.versionsAtEnd.v2 === CLIENTS, 60_000, `${CLIENTS} clients acked by v2`);
    const report = await l.stop();

    expect(report.failures).toEqual([]);
    expect(report.connectErrors).toBe(0);
    expect(report.sessionIdUnknown).toBe(0);
    expect(report.lostAcks).toBe(0);
    expect(report.maxReconnectsPerClient).toBe(1);
  });
});
