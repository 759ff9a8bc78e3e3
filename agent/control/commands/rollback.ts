import { rollbackResultSchema } from '../control-protocol';
import { CONTROL_OPTIONS_HELP, type ControlCommand } from '../control-command';

const HELP = `Usage: deploy-agent rollback [--socket PATH] [--json]

Rolls THIS instance back to the previous release on its disk, now, worker by
worker, and remembers the version desired.json names as failed, so the agent
does not deploy it again until desired.json changes. For an instance in
trouble while you are logged on to it; to roll back the fleet, use
'deployctl rollback' instead (it changes desired.json).

Waits until the workers run the previous release (or the rollback failed:
then the release that was running keeps serving). A deploy under way ends
first. Refused when there is no previous release on disk.

${CONTROL_OPTIONS_HELP}`;

export const rollbackCommand: ControlCommand = {
  name: 'rollback',
  synopsis: 'roll this instance back to the previous release on disk, now',
  help: HELP,
  timeoutMs: undefined,
  describe: (result) => {
    const r = rollbackResultSchema.parse(result);
    const kept = r.remembered ? `; ${r.remembered} is not deployed again until desired.json changes` : '';
    return `rolled back from ${r.from} to ${r.to} in ${(r.durationMs / 1000).toFixed(1)} s${kept}`;
  },
};
