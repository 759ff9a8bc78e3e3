import { controlStatusSchema, type ControlStatus } from '../control-status';
import { CONTROL_OPTIONS_HELP, type ControlCommand } from '../control-command';

const HELP = `Usage: deploy-agent status [--socket PATH] [--json]

Asks the agent running on this instance what it runs: the release, what
desired.json asks for, the deploy step, every worker, the last deploy and a
version it will not retry.

${CONTROL_OPTIONS_HELP}`;

export const statusCommand: ControlCommand = {
  name: 'status',
  synopsis: "show what the agent on this instance runs and how it is",
  help: HELP,
  timeoutMs: 10_000,
  describe: (result) => describeStatus(controlStatusSchema.parse(result)).join('\n'),
};

export function describeStatus(status: ControlStatus): string[] {
  const ready = `${status.workers.ready}/${status.workers.total} ready`;
  const lines = [
    `deploy-agent ${status.agentVersion} on ${status.instanceId} (pid ${status.pid}, config ${status.configPath})`,
    `running      ${status.running ?? '(nothing)'}`,
    `desired      ${status.desired ?? '(no desired.json)'}`,
    `previous     ${status.previous ?? '(none)'}`,
    `state        ${status.state}${status.target ? ` (${status.target})` : ''}`,
    ...(status.hook ? [`hook         ${status.hook.name} of ${status.hook.version}, running since ${status.hook.startedAt}`] : []),
    `workers      ${ready}`,
    ...status.slots.map((s) => `  slot ${s.slot}  ${s.version}  pid ${s.pid ?? '-'}  ${s.state}${s.status === 'running' ? '' : `  (${s.status})`}`),
  ];
  const last = status.lastDeploy;
  if (last) {
    const why = last.error ? `: ${last.error}` : last.warning ? ` (afterLive failed: ${last.warning})` : '';
    lines.push(`last deploy  ${last.version} ${last.result} in ${(last.durationMs / 1000).toFixed(1)} s at ${last.startedAt}${why}`);
  }
  const retrying = status.retrying;
  if (retrying) lines.push(`retrying     ${retrying.version} at ${retrying.nextTryAt} (try ${retrying.attempts} failed with ${retrying.errorCode}: ${retrying.error})`);
  if (status.failed) lines.push(`not retried  ${status.failed.version} until desired.json changes (${status.failed.reason})`);
  return lines;
}
