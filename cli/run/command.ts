import type { CliIo } from './cli-io';

/**
 * One `deployctl` subcommand, in its own file under `cli/commands/` with its
 * help text beside it. `run` returns the exit code; only `main.ts` exits.
 */
export interface Command {
  /** The word after `deployctl`. */
  readonly name: string;
  /** One line for `deployctl --help`. */
  readonly synopsis: string;
  /** The full text for `deployctl help <name>` and `deployctl <name> --help`. */
  readonly help: string;
  /** Runs with the arguments after the command name. Throws DeployError (UsageError for bad arguments) on failure. */
  run(args: string[], io: CliIo): Promise<number>;
}
