import type { SupervisorEvent } from '../cluster/roll-types';
import type { AgentState, LastDeploy } from '../deploy/agent-state';
import type { AgentMetrics } from './metrics-registry';

/**
 * Feeds the deploy counters from the hooks the agent already has: the
 * deployer's `onChange(state)` (a new `lastDeploy` is one finished deploy) and
 * the supervisor's `onEvent` (a crash followed by a restart). The gauges need
 * no feed: they read the supervisor at scrape time.
 */
export class MetricsFeed {
  private counted: string | undefined;

  constructor(private readonly metrics: AgentMetrics) {}

  /** The state the agent starts from: its lastDeploy belongs to an earlier run and is not counted. */
  resumeFrom(state: Pick<AgentState, 'lastDeploy'>): void {
    this.counted = identity(state.lastDeploy);
  }

  onDeployState(state: Pick<AgentState, 'lastDeploy'>): void {
    const last = state.lastDeploy;
    const id = identity(last);
    if (!last || id === this.counted) return;
    this.counted = id;
    this.metrics.deploysTotal.inc({ result: last.result });
    this.metrics.deployDurationSeconds.observe({ result: last.result }, last.durationMs / 1000);
  }

  onSupervisorEvent(event: SupervisorEvent): void {
    if (event.type === 'worker-crashed' && event.restartInMs !== null) this.metrics.workerRestartsTotal.inc();
  }
}

/** One deploy: its version, when it started and how it ended (onChange repeats a state many times). */
function identity(last: LastDeploy | null): string | undefined {
  return last ? `${last.version} ${last.startedAt} ${last.result}` : undefined;
}
