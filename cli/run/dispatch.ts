import { describeError } from '../../agent/errors';
import { versionLine } from '../../agent/package-version';
import type { CliIo } from './cli-io';
import type { Command } from './command';
import { printJsonFailure } from './json-failure';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError } from '../args/usage-error';

/**
 * Routes `deployctl <command> [args]` through the command table, answers
 * `--help` / `-h` / `help <command>` and `--version`, and turns a thrown error
 * into ONE line on stderr (`deployctl: <reason>`, the stack too when
 * DEPLOYCTL_DEBUG=1) and an exit code: 2 for bad arguments (a bad store URL
 * included), 1 for any other failure. With `--json` among the arguments a
 * failure, bad arguments included, is also `{"ok":false,"code","error"}` on
 * stdout. Never throws.
 */
export async function dispatch(commands: readonly Command[], argv: readonly string[], io: CliIo): Promise<number> {
  try {
    return await route(commands, argv, io);
  } catch (error) {
    if (asksFor(argv, '--json')) printJsonFailure(error, io.stdout);
    return reportError(error, io);
  }
}

async function route(commands: readonly Command[], argv: readonly string[], io: CliIo): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    io.stderr.write(`${generalHelp(commands)}\n`);
    return EXIT_USAGE;
  }
  if (first === '--version' && rest.length === 0) {
    io.stdout.write(`${versionLine('deployctl')}\n`);
    return EXIT_OK;
  }
  if (first === '--help' || first === '-h' || (first === 'help' && rest.length === 0)) {
    io.stdout.write(`${generalHelp(commands)}\n`);
    return EXIT_OK;
  }
  if (first === 'help') {
    const [name, extra] = rest;
    if (extra !== undefined) throw new UsageError(`'deployctl help' takes one command name, got ${rest.join(' ')}`);
    io.stdout.write(`${findCommand(commands, name ?? '').help}\n`);
    return EXIT_OK;
  }
  if (first.startsWith('-')) throw new UsageError(`unknown option ${first}: options go after the command (see 'deployctl --help')`);
  const command = findCommand(commands, first);
  if (asksFor(rest, '--help') || asksFor(rest, '-h')) {
    io.stdout.write(`${command.help}\n`);
    return EXIT_OK;
  }
  return command.run([...rest], io);
}

function findCommand(commands: readonly Command[], name: string): Command {
  const command = commands.find((c) => c.name === name);
  if (command === undefined) throw new UsageError(`unknown command ${JSON.stringify(name)} (see 'deployctl --help')`);
  return command;
}

/** `flag` before any `--` (after it everything is positional). */
function asksFor(args: readonly string[], flag: string): boolean {
  for (const arg of args) {
    if (arg === '--') return false;
    if (arg === flag) return true;
  }
  return false;
}

function generalHelp(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length), 'help'.length) + 2;
  const lines = [...commands.map((c) => `  ${c.name.padEnd(width)}${c.synopsis}`), `  ${'help'.padEnd(width)}show a command's help`];
  return [
    'Usage: deployctl <command> [options]',
    '',
    'Publishes releases of a Node.js app to a release store; deploy-agent on every',
    'instance converges to the version that desired.json names.',
    '',
    'Commands:',
    ...lines,
    '',
    'Options: -h, --help  show this help; --version  print the version',
    "Run 'deployctl help <command>' or 'deployctl <command> --help' for its options.",
    'Exit status: 0 success, 1 failure, 2 bad arguments.',
  ].join('\n');
}

function reportError(error: unknown, io: CliIo): number {
  const oneLine = describeError(error).replace(/\s*\n\s*/g, ' ').trim();
  io.stderr.write(`deployctl: ${oneLine || 'failed'}\n`);
  if (io.env['DEPLOYCTL_DEBUG'] === '1') io.stderr.write(`${debugDetail(error)}\n`);
  return error instanceof UsageError ? EXIT_USAGE : EXIT_FAILURE;
}

function debugDetail(error: unknown): string {
  const parts: string[] = [];
  for (let current: unknown = error, depth = 0; current !== undefined && depth < 5; depth += 1) {
    parts.push(current instanceof Error ? (current.stack ?? current.message) : String(current));
    current = current instanceof Error ? current.cause : undefined;
    if (current !== undefined) parts.push('caused by:');
  }
  return parts.join('\n');
}
