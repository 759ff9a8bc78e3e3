import { z } from 'zod';
import type { SupervisorStatus } from '../cluster/supervisor';
import type { AgentState } from '../deploy/agent-state';
import type { InstanceReport } from '../status/instance-report';
import { instanceStatusSchema } from '../store/documents';

/**
 * What `deploy-agent status` answers: the instance report the agent writes to
 * the store (agent/status/instance-report.ts), plus what only this instance
 * knows: the releases on disk, the failed version it will not retry, each
 * worker, and which agent process and config file answered.
 */
export const controlStatusSchema = instanceStatusSchema.omit({ updatedAt: true }).extend({
  pid: z.number().int(),
  configPath: z.string(),
  current: z.string().nullable(),
  previous: z.string().nullable(),
  /** The version being deployed (or rolled back to) while state is not idle. */
  target: z.string().nullable(),
  failed: z.object({ version: z.string(), reason: z.string(), at: z.string() }).nullable(),
  slots: z.array(z.object({ slot: z.number().int(), status: z.string(), version: z.string(), pid: z.number().int().nullable(), state: z.string() })),
});

export type ControlStatus = z.infer<typeof controlStatusSchema>;

export interface ControlStatusSources {
  readonly report: InstanceReport;
  readonly state: AgentState;
  readonly supervisor: SupervisorStatus;
  readonly configPath: string;
  readonly pid: number;
}

export function controlStatus(sources: ControlStatusSources): ControlStatus {
  const { state, supervisor } = sources;
  return {
    ...sources.report,
    pid: sources.pid,
    configPath: sources.configPath,
    current: state.current,
    previous: state.previous,
    target: state.target,
    failed: state.failed ? { version: state.failed.version, reason: state.failed.reason, at: state.failed.at } : null,
    slots: supervisor.slots.map((s) => ({ slot: s.slot, status: s.status, version: s.version, pid: s.pid ?? null, state: s.state })),
  };
}
