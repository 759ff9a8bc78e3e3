import type { SupervisorStatus } from '../cluster/supervisor';
import type { AgentState } from '../deploy/agent-state';
import type { RunningHook } from '../hooks/hook-names';
import type { InstanceStatus } from '../store/documents';

/** The `state` of the last report an agent writes when it stops (not a deploy step). */
export const STOPPED_STATE = 'stopped';

/** What an instance report is made of, read from the agent's parts at the moment of writing. */
export interface InstanceReportSources {
  readonly instanceId: string;
  readonly agentVersion: string;
  readonly supervisor: Pick<SupervisorStatus, 'version' | 'workersReady' | 'workersTotal'>;
  readonly agent: Pick<AgentState, 'state' | 'lastDeploy'>;
  /** The version desired.json named when the deployer last read it. */
  readonly desired: string | null;
  /** A deploy tried again after a transient failure (Deployer.retrying). */
  readonly retrying?: InstanceStatus['retrying'];
  /** True once the agent has stopped: the report says `stopped` instead of the deploy step. */
  readonly stopped: boolean;
  /** The release hook running right now (agent/hooks/). @default none */
  readonly hook?: RunningHook | null;
}

/** instances/<id>.json without its timestamp (the reporter stamps it when it writes). */
export type InstanceReport = Omit<InstanceStatus, 'updatedAt'>;

export function instanceReport(sources: InstanceReportSources): InstanceReport {
  const { supervisor, agent } = sources;
  const last = agent.lastDeploy;
  return {
    instanceId: sources.instanceId,
    agentVersion: sources.agentVersion,
    running: supervisor.version ?? null,
    desired: sources.desired,
    state: sources.stopped ? STOPPED_STATE : agent.state,
    workers: { ready: supervisor.workersReady, total: supervisor.workersTotal },
    lastDeploy: last
      ? {
          version: last.version,
          result: last.result,
          ...(last.error === undefined ? {} : { error: last.error }),
          ...(last.errorCode === undefined ? {} : { errorCode: last.errorCode }),
          ...(last.warning === undefined ? {} : { warning: last.warning }),
          startedAt: last.startedAt,
          durationMs: last.durationMs,
        }
      : null,
    ...(sources.hook ? { hook: { name: sources.hook.name, version: sources.hook.version, startedAt: sources.hook.startedAt } } : {}),
    ...(sources.retrying ? { retrying: sources.retrying } : {}),
  };
}
