import { execFile } from 'node:child_process';
import { withTimeout } from './with-timeout';

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CommandOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** The run is abandoned (and the child killed) after this long. */
  readonly timeoutMs: number;
}

/**
 * Runs a program to its end, capturing both streams; a non-zero exit is a
 * result, not a rejection. A run that outlives `timeoutMs` is killed and
 * rejects with an error naming the command.
 */
export async function runCommand(file: string, args: readonly string[], options: CommandOptions): Promise<CommandResult> {
  const controller = new AbortController();
  const run = new Promise<CommandResult>((resolve, reject) => {
    execFile(
      file,
      [...args],
      { cwd: options.cwd, env: options.env, encoding: 'utf8', signal: controller.signal, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error === null) return resolve({ code: 0, stdout, stderr });
        if (typeof error.code === 'number') return resolve({ code: error.code, stdout, stderr });
        reject(error);
      },
    );
  });
  try {
    return await withTimeout(run, options.timeoutMs, `${file} ${args.join(' ')}`);
  } finally {
    controller.abort();
  }
}
