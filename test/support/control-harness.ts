import { PassThrough } from 'node:stream';
import { findControlCommand, runControlCommand } from '../../agent/control/control-cli';
import { withTimeout } from './with-timeout';

export interface ControlRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `deploy-agent <args>` (status|reload|rollback) in-process through the real command code, capturing both streams. */
export async function runControl(args: string[], options: { cwd: string; defaultConfigPath?: string; timeoutMs?: number }): Promise<ControlRun> {
  const [name, ...rest] = args;
  const command = findControlCommand(name);
  if (!command) throw new Error(`not a control command: ${String(name)}`);
  const stdout = collect();
  const stderr = collect();
  const code = await withTimeout(
    runControlCommand(command, rest, {
      stdout: stdout.stream,
      stderr: stderr.stream,
      cwd: options.cwd,
      // Never the machine's real /etc/deploy-agent/config.json.
      defaultConfigPath: options.defaultConfigPath ?? '/nonexistent/deploy-agent/config.json',
    }),
    options.timeoutMs ?? 60_000,
    `deploy-agent ${args.join(' ')}`,
  );
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

function collect(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}
