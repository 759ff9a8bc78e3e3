import { rollbackResultSchema } from '../control-protocol';
import { CONTROL_OPTIONS_HELP, type ControlCommand } from '../control-command';

const HELP = `Usage: deploy-agent rollback [--socket PATH] [--json]

Rolls THIS instance back to the newest release on its disk that went live
here before the running one (never the one just rolled away from), now,
worker by worker, and remembers the version desired.json names as failed, so the agent
does not deploy it again until desired.json changes. For an instance in
trouble while you are logged on to it; to roll back the fleet, use
'deployctl rollback' instead (it changes desired.json).

Waits until the workers run that release (or the rollback failed: then the
release that was running keeps serving). A deploy under way ends first.
Refused when no release that went live here is left on disk.

${CONTROL_OPTIONS_HELP}`;

export const rollbackCommand: ControlCommand = {
  name: 'rollback',
  synopsis: 'roll this instance back to the last release that went live here, now',
  help: HELP,
  timeoutMs: undefined,
  describe: (result) => {
    const r = rollbackResultSchema.parse(result);
    const kept = r.remembered ? `; ${r.remembered} is not deployed again until desired.json changes` : '';
    return `rolled back from ${r.from} to ${r.to} in ${(r.durationMs / 1000).toFixed(1)} s${kept}`;
  },
};
