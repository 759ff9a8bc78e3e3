import { stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { DeployError, describeError } from '../errors';
import { reloadCommand } from './commands/reload';
import { rollbackCommand } from './commands/rollback';
import { statusCommand } from './commands/status';
import { AgentUnreachableError, requestAgent } from './control-client';
import type { ControlCommand } from './control-command';
import { chooseControlSocket } from './socket-path';

/** Exit codes of `deploy-agent status|reload|rollback`: 2 for bad arguments, as everywhere in deployctl. */
export const CONTROL_EXIT = { ok: 0, refused: 1, usage: 2, unreachable: 3 } as const;

export const CONTROL_COMMANDS: readonly ControlCommand[] = [statusCommand, reloadCommand, rollbackCommand];

/** What a control command may touch of its process. */
export interface ControlIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly cwd: string;
  /** Where the config is read from without --config. @default /etc/deploy-agent/config.json */
  readonly defaultConfigPath?: string;
}

export function findControlCommand(name: string | undefined): ControlCommand | undefined {
  return CONTROL_COMMANDS.find((c) => c.name === name);
}

/** `deploy-agent <command> [flags]`: asks the running agent, prints its answer, returns the exit code. Never throws. */
export async function runControlCommand(command: ControlCommand, args: string[], io: ControlIo): Promise<number> {
  let values: { socket?: string | undefined; config?: string | undefined; json?: boolean | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      args,
      options: { socket: { type: 'string' }, config: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    const message = `${describeError(error)} (see 'deploy-agent ${command.name} --help')`;
    if (asksForJson(args)) io.stdout.write(`${JSON.stringify({ ok: false, code: 'USAGE', error: message })}\n`);
    io.stderr.write(`deploy-agent ${command.name}: ${message}\n`);
    return CONTROL_EXIT.usage;
  }
  if (values.help) {
    io.stdout.write(`${command.help}\n`);
    return CONTROL_EXIT.ok;
  }
  const json = values.json === true;
  const fail = (code: string, message: string, exit: number): number => {
    if (json) io.stdout.write(`${JSON.stringify({ ok: false, code, error: message })}\n`);
    io.stderr.write(`deploy-agent ${command.name}: ${message}\n`);
    return exit;
  };
  try {
    const socket = await chooseControlSocket({ socket: values.socket, config: values.config }, io.cwd, io.defaultConfigPath);
    await assertSocketOrMissing(socket);
    const response = await requestAgent(socket, command.name, command.timeoutMs === undefined ? {} : { timeoutMs: command.timeoutMs });
    if (!response.ok) return fail(response.code, response.error, CONTROL_EXIT.refused);
    io.stdout.write(json ? `${JSON.stringify(response)}\n` : `${command.describe(response.result)}\n`);
    return CONTROL_EXIT.ok;
  } catch (error) {
    const code = error instanceof DeployError ? error.code : 'UNEXPECTED';
    return fail(code, describeError(error), error instanceof AgentUnreachableError ? CONTROL_EXIT.unreachable : CONTROL_EXIT.refused);
  }
}

/** `--json` among the arguments, for a failure to parse them. */
function asksForJson(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).includes('--json');
}

/**
 * A path that exists but is no socket would be reported as "nobody answers"
 * by connect(2): say what it is instead. A missing one is left to the client
 * ("no such socket").
 */
async function assertSocketOrMissing(socket: string): Promise<void> {
  const stats = await stat(socket).catch(() => undefined);
  if (stats === undefined || stats.isSocket()) return;
  const kind = stats.isDirectory() ? ' but a directory' : stats.isFile() ? ' but a regular file' : '';
  throw new AgentUnreachableError(socket, `it is not a socket${kind}`);
}

/** The commands' lines for `deploy-agent --help`. */
export function controlCommandsHelp(): string {
  const width = Math.max(...CONTROL_COMMANDS.map((c) => c.name.length)) + 2;
  return CONTROL_COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.synopsis}`).join('\n');
}
