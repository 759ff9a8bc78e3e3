#!/usr/bin/env node
import type { CliIo } from './cli-io';
import type { Command } from './command';
import { pushCommand } from './commands/push';
import { dispatch } from './dispatch';

/**
 * `deployctl`: the command table and the process wrapper. Each command lives
 * in `cli/commands/<name>.ts` with its help text; later ones (status,
 * rollback, releases, prune) are added to this table. Only this file touches
 * the exit code.
 */
export const COMMANDS: readonly Command[] = [pushCommand];

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
