#!/usr/bin/env node
import type { CliIo } from './run/cli-io';
import type { Command } from './run/command';
import { historyCommand } from './commands/history';
import { keygenCommand } from './commands/keygen';
import { pruneCommand } from './commands/prune';
import { pushCommand } from './commands/push';
import { releasesCommand } from './commands/releases';
import { rollbackCommand } from './commands/rollback';
import { rolloutCommand } from './commands/rollout';
import { statusCommand } from './commands/status';
import { dispatch } from './run/dispatch';

/**
 * `deployctl`: the command table and the process wrapper. Each command lives
 * in `cli/commands/<name>.ts` with its help text. Only this file touches the
 * exit code.
 */
export const COMMANDS: readonly Command[] = [
  pushCommand,
  rollbackCommand,
  rolloutCommand,
  historyCommand,
  statusCommand,
  releasesCommand,
  pruneCommand,
  keygenCommand,
];

export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    isTTY: process.stderr.isTTY === true,
  };
}

async function main(): Promise<void> {
  process.exitCode = await dispatch(COMMANDS, process.argv.slice(2), processIo());
}

if (require.main === module) void main();
