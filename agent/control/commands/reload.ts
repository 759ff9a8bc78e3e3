import { reloadResultSchema } from '../control-protocol';
import { CONTROL_OPTIONS_HELP, type ControlCommand } from '../control-command';

const HELP = `Usage: deploy-agent reload [--socket PATH] [--json]

Makes the agent on this instance read its config file again, like SIGHUP
(systemctl reload deploy-agent). The store poll, keep, limits and the health
check apply at once; app, store, releasesDir and control settings from the
next restart. A config with an error is refused and the old one stays.

${CONTROL_OPTIONS_HELP}`;

export const reloadCommand: ControlCommand = {
  name: 'reload',
  synopsis: 'make the agent read its config file again (like SIGHUP)',
  help: HELP,
  timeoutMs: 30_000,
  describe: (result) => `configuration reloaded from ${reloadResultSchema.parse(result).configPath}`,
};
