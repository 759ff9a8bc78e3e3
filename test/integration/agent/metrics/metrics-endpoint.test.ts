import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { DEPLOY_DURATION_BUCKETS_SECONDS, DEPLOY_RESULTS, PROCESS_METRICS_PREFIX } from '../../../../agent/metrics/metrics-registry';
import { startAgentHarness, type AgentHarness } from '../../../support/agent-harness';
import { freePort } from '../../../support/free-port';
import { httpGet, samplesOf, scrape, valueOf, type Sample } from '../../../support/prometheus-text';
import { waitUntil } from '../../../support/with-timeout';

function lastDeployOf(h: AgentHarness): { version?: string; result?: string } | null {
  const state = JSON.parse(readFileSync(path.join(h.releasesDir, 'state.json'), 'utf8')) as { lastDeploy: { version?: string; result?: string } | null };
  return state.lastDeploy;
}

async function deployed(h: AgentHarness, version: string): Promise<void> {
  await waitUntil(() => lastDeployOf(h)?.version === version, 30_000, `the deploy of ${version} to end`);
  await h.agent.settled();
}

function deploys(samples: readonly Sample[]): Record<string, number> {
  return Object.fromEntries(DEPLOY_RESULTS.map((result) => [result, valueOf(samples, 'deploys_total', { result })]));
}

describe('Prometheus metrics on 127.0.0.1:metricsPort', () => {
  const harnesses: AgentHarness[] = [];
  afterEach(async () => {
    for (const h of harnesses.splice(0)) await h.close();
  });

  async function agentWithMetrics(): Promise<{ h: AgentHarness; port: number }> {
    const port = await freePort();
    const h = await startAgentHarness({ control: { metricsPort: port } });
    harnesses.push(h);
    return { h, port };
  }

  it('counts deploys by result, times them, and shows the running release, ready workers and crash restarts', async () => {
    const { h, port } = await agentWithMetrics();
    await h.push('v1');
    await h.agent.start();
    await deployed(h, 'v1');
    await h.push('v2');
    await deployed(h, 'v2');

    let samples = await scrape(port);
    expect(deploys(samples)).toEqual({ succeeded: 2, failed: 0, 'rolled-back': 0 });
    expect(valueOf(samples, 'deploy_duration_seconds_count', { result: 'succeeded' })).toBe(2);
    expect(valueOf(samples, 'deploy_duration_seconds_sum', { result: 'succeeded' })).toBeGreaterThan(0);
    const buckets = samplesOf(samples, 'deploy_duration_seconds_bucket', { result: 'succeeded' });
    expect(buckets.map((b) => b.labels.le)).toEqual([...DEPLOY_DURATION_BUCKETS_SECONDS.map(String), '+Inf']);
    expect(valueOf(samples, 'deploy_duration_seconds_bucket', { result: 'succeeded', le: '+Inf' })).toBe(2);
    expect(samplesOf(samples, 'release_info')).toEqual([{ name: 'release_info', labels: { version: 'v2' }, value: 1 }]);
    expect(valueOf(samples, 'workers_ready')).toBe(h.agent.status.workersTotal);
    expect(valueOf(samples, 'worker_restarts_total')).toBe(0);

    // A crash outside a deploy: the worker is restarted and counted.
    const pid = h.agent.status.slots[0]?.pid;
    if (!pid) throw new Error('slot 0 has no pid');
    process.kill(pid, 'SIGKILL');
    await waitUntil(() => h.agent.status.slots[0]?.pid !== pid && h.agent.status.workersReady === h.agent.status.workersTotal, 15_000, 'slot 0 to run again');
    samples = await scrape(port);
    expect(valueOf(samples, 'worker_restarts_total')).toBe(1);
    expect(valueOf(samples, 'workers_ready')).toBe(h.agent.status.workersTotal);

    // A release whose workers crash on boot: rolled back, and v2 stays the release.
    await h.push('v3', { mode: 'crash-on-boot' });
    await deployed(h, 'v3');
    samples = await scrape(port);
    expect(deploys(samples)).toEqual({ succeeded: 2, failed: 0, 'rolled-back': 1 });
    expect(valueOf(samples, 'deploy_duration_seconds_count', { result: 'rolled-back' })).toBe(1);
    expect(samplesOf(samples, 'release_info')).toEqual([{ name: 'release_info', labels: { version: 'v2' }, value: 1 }]);
  });

  it("serves the agent's own process metrics under the deploy_agent_ prefix, and only /metrics", async () => {
    const { h, port } = await agentWithMetrics();
    await h.agent.start();
    const samples = await scrape(port);
    expect(valueOf(samples, `${PROCESS_METRICS_PREFIX}process_resident_memory_bytes`)).toBeGreaterThan(0);
    expect(samplesOf(samples, 'process_resident_memory_bytes')).toEqual([]);
    // Nothing runs yet: no release, no worker, nothing counted.
    expect(samplesOf(samples, 'release_info')).toEqual([]);
    expect(valueOf(samples, 'workers_ready')).toBe(0);
    expect(deploys(samples)).toEqual({ succeeded: 0, failed: 0, 'rolled-back': 0 });

    const res = await httpGet(port, '/metrics');
    expect(res.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect((await httpGet(port, '/')).status).toBe(404);
  });

  it('has no metrics port unless control.metricsPort is set', async () => {
    const h = await startAgentHarness();
    harnesses.push(h);
    await h.agent.start();
    expect(h.logs.some((l) => typeof l.msg === 'string' && l.msg.startsWith('metrics on'))).toBe(false);
  });

  it('refuses to start when the metrics port is taken, and leaves the control socket free', async () => {
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    try {
      const port = (squatter.address() as net.AddressInfo).port;
      const h = await startAgentHarness({ control: { metricsPort: port } });
      harnesses.push(h);
      await expect(h.agent.start()).rejects.toMatchObject({ code: 'METRICS_PORT_IN_USE', message: expect.stringContaining(`control.metricsPort ${port}`) });
      // The control socket it had opened is gone again: a new agent can take it.
      const again = await startAgentHarness({ control: { socket: path.join(h.work, 'agent.sock') } });
      harnesses.push(again);
      await expect(again.agent.start()).resolves.toBeUndefined();
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });
});
