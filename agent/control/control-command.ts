import type { ControlCommandName } from './control-protocol';

/**
 * One `deploy-agent <command>` that asks the running agent over its control
 * socket, in its own file under agent/control/commands/ with its help text
 * beside it. control-cli.ts does the rest (flags, socket, exit code).
 */
export interface ControlCommand {
  readonly name: ControlCommandName;
  /** One line for `deploy-agent --help`. */
  readonly synopsis: string;
  /** The full text for `deploy-agent <command> --help`. */
  readonly help: string;
  /** How long to wait for the answer; undefined: as long as the agent works on it (its own timeouts bound it). */
  readonly timeoutMs: number | undefined;
  /** The agent's answer as lines for a person. Throws when the answer is not what this command expects. */
  describe(result: unknown): string;
}

/** Options every control command takes, for the help texts. */
export const CONTROL_OPTIONS_HELP = `Options:
  --socket PATH   the agent's control socket (default: control.socket of the
                  config, else /run/deploy-agent.sock)
  --config FILE   read control.socket from this agent config
                  (default /etc/deploy-agent/config.json, when it exists)
  --json          print the agent's answer as one JSON object (a failure too:
                  {"ok":false,"code","error"})
  -h, --help      show this help

Exit codes: 0 done, 1 refused (the reason is printed), 2 bad arguments,
3 the agent could not be reached.`;
