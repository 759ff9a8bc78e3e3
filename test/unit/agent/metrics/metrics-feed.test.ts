import type { AgentState, LastDeploy } from '../../../../agent/deploy/agent-state';
import { MetricsFeed } from '../../../../agent/metrics/metrics-feed';
import { AgentMetrics } from '../../../../agent/metrics/metrics-registry';
import { parsePrometheusText, samplesOf, valueOf } from '../../../support/prometheus-text';

function deploy(version: string, result: LastDeploy['result'], durationMs: number): Pick<AgentState, 'lastDeploy'> {
  return { lastDeploy: { version, result, startedAt: `2030-01-01T00:00:0${version.slice(1)}.000Z`, durationMs } };
}

describe('metrics fed from the deployer and the supervisor', () => {
  let workers = { version: undefined as string | undefined, workersReady: 0 };
  let metrics: AgentMetrics;
  let feed: MetricsFeed;
  beforeEach(() => {
    workers = { version: undefined, workersReady: 0 };
    metrics = new AgentMetrics({ workers: () => workers });
    feed = new MetricsFeed(metrics);
  });
  const scrape = async () => parsePrometheusText(await metrics.registry.metrics());

  it('counts each finished deploy once, however often the same state is reported', async () => {
    feed.onDeployState(deploy('v1', 'succeeded', 1500));
    feed.onDeployState(deploy('v1', 'succeeded', 1500));
    feed.onDeployState(deploy('v2', 'rolled-back', 4000));
    feed.onDeployState({ lastDeploy: null });
    const samples = await scrape();
    expect(valueOf(samples, 'deploys_total', { result: 'succeeded' })).toBe(1);
    expect(valueOf(samples, 'deploys_total', { result: 'rolled-back' })).toBe(1);
    expect(valueOf(samples, 'deploys_total', { result: 'failed' })).toBe(0);
    expect(valueOf(samples, 'deploy_duration_seconds_sum', { result: 'succeeded' })).toBe(1.5);
    expect(valueOf(samples, 'deploy_duration_seconds_bucket', { result: 'succeeded', le: '1' })).toBe(0);
    expect(valueOf(samples, 'deploy_duration_seconds_bucket', { result: 'succeeded', le: '2.5' })).toBe(1);
  });

  it("does not count the last deploy of an earlier run that the agent starts from", async () => {
    feed.resumeFrom({ lastDeploy: deploy('v1', 'succeeded', 1000).lastDeploy });
    feed.onDeployState(deploy('v1', 'succeeded', 1000));
    expect(valueOf(await scrape(), 'deploys_total', { result: 'succeeded' })).toBe(0);
  });

  it('counts crashes that are restarted, not a slot given up in a crash loop', async () => {
    const exit = { code: null, signal: 'SIGKILL' as const };
    feed.onSupervisorEvent({ type: 'worker-crashed', slot: 0, version: 'v1', pid: 10, exit, error: undefined, restartInMs: 100 });
    feed.onSupervisorEvent({ type: 'worker-crashed', slot: 0, version: 'v1', pid: 11, exit, error: undefined, restartInMs: null });
    feed.onSupervisorEvent({ type: 'crash-loop', slot: 0, version: 'v1', crashes: 5 });
    expect(valueOf(await scrape(), 'worker_restarts_total')).toBe(1);
  });

  it('reads release_info and workers_ready when scraped, dropping the label of a release no longer running', async () => {
    expect(samplesOf(await scrape(), 'release_info')).toEqual([]);
    workers = { version: 'v1', workersReady: 2 };
    expect(samplesOf(await scrape(), 'release_info').map((s) => s.labels)).toEqual([{ version: 'v1' }]);
    workers = { version: 'v2', workersReady: 1 };
    const samples = await scrape();
    expect(samplesOf(samples, 'release_info')).toEqual([{ name: 'release_info', labels: { version: 'v2' }, value: 1 }]);
    expect(valueOf(samples, 'workers_ready')).toBe(1);
  });
});
