import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { LastDeploy } from '../deploy/agent-state';

/** The results a deploy ends with (state.json `lastDeploy.result`), each a `deploys_total` series from the start. */
export const DEPLOY_RESULTS: readonly LastDeploy['result'][] = ['succeeded', 'failed', 'rolled-back'];

/**
 * Buckets of `deploy_duration_seconds`: a deploy takes from half a second (an
 * unpacked release, one small worker) to many minutes (a big artifact, slow
 * starts, a service-out drain), so they run from 0.5 s to 15 min.
 */
export const DEPLOY_DURATION_BUCKETS_SECONDS: readonly number[] = [0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 900];

/**
 * prom-client's default process metrics (CPU, memory, event loop lag, GC,
 * handles) are the agent's own, not the app's: they carry this prefix, e.g.
 * `deploy_agent_process_resident_memory_bytes`. The five deploy metrics keep
 * the names DESIGN and the README give them.
 */
export const PROCESS_METRICS_PREFIX = 'deploy_agent_';

/** What the gauges read at scrape time. */
export interface MetricsSources {
  /** The release the workers run (undefined before the first start) and how many workers are ready now. */
  readonly workers: () => { readonly version: string | undefined; readonly workersReady: number };
}

/**
 * The agent's metrics, in a registry of their own (never prom-client's global
 * one): the deploy counters are fed by metrics-feed.ts, the gauges are read
 * from the supervisor when scraped, so they are never stale.
 */
export class AgentMetrics {
  readonly registry = new Registry();
  readonly deploysTotal: Counter<'result'>;
  readonly deployDurationSeconds: Histogram<'result'>;
  readonly workerRestartsTotal: Counter;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    this.deploysTotal = new Counter({
      name: 'deploys_total',
      help: 'Deploys this agent finished since it started, by result (succeeded, failed, rolled-back).',
      labelNames: ['result'],
      registers,
    });
    for (const result of DEPLOY_RESULTS) this.deploysTotal.inc({ result }, 0);
    this.deployDurationSeconds = new Histogram({
      name: 'deploy_duration_seconds',
      help: 'How long deploys took, from reading desired.json to live (or rolled back), by result.',
      labelNames: ['result'],
      buckets: [...DEPLOY_DURATION_BUCKETS_SECONDS],
      registers,
    });
    for (const result of DEPLOY_RESULTS) this.deployDurationSeconds.zero({ result });
    this.workerRestartsTotal = new Counter({
      name: 'worker_restarts_total',
      help: 'Workers restarted after a crash (a slot given up in a crash loop is not restarted, so not counted).',
      registers,
    });
    new Gauge({
      name: 'workers_ready',
      help: 'Workers ready to serve right now.',
      registers,
      collect() {
        this.set(sources.workers().workersReady);
      },
    });
    new Gauge({
      name: 'release_info',
      help: 'The release the workers run: 1 for its version label (no series before the first release runs).',
      labelNames: ['version'],
      registers,
      collect() {
        // Rebuilt on every scrape: the label of a release no longer running is gone.
        this.reset();
        const version = sources.workers().version;
        if (version !== undefined) this.set({ version }, 1);
      },
    });
    collectDefaultMetrics({ register: this.registry, prefix: PROCESS_METRICS_PREFIX });
  }
}
