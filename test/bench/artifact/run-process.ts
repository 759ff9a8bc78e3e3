import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { onCleanup } from '../reload/cleanup';
import { RSS_SAMPLE_MS } from './rss-sampler';

export interface ProcessRun {
  /** Wall time from spawn to exit. */
  readonly ms: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly label: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  readonly timeoutMs: number;
}

/** Keep at most this much of a child's stdout/stderr (for error messages). */
const KEEP_BYTES = 64 * 1024;

/**
 * Runs a command to completion and times it (spawn → exit). Fails with the tail
 * of its stderr when it exits non-zero or is killed. The child is SIGKILLed
 * after `timeoutMs`, and by the bench's cleanup if the bench stops first.
 */
export function runProcess(command: string, args: readonly string[], options: RunOptions, onSpawn?: (pid: number) => void): Promise<ProcessRun> {
  return new Promise<ProcessRun>((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env, cwd: options.cwd });
    let exitedAt: number | undefined;
    const unregister = onCleanup(`${options.label} (pid ${child.pid})`, async () => {
      if (exitedAt === undefined) child.kill('SIGKILL');
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout = (stdout + chunk.toString('utf8')).slice(-KEEP_BYTES);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-KEEP_BYTES);
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${options.label}: timed out after ${options.timeoutMs} ms (killed)`));
    }, options.timeoutMs);
    child.once('exit', () => {
      exitedAt = performance.now();
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      unregister();
      reject(new Error(`${options.label}: could not run ${command}: ${error.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      unregister();
      const ms = (exitedAt ?? performance.now()) - started;
      if (code === 0) resolve({ ms, stdout, stderr });
      else reject(new Error(`${options.label} ${signal ? `was killed by ${signal}` : `exited with code ${code}`}: ${tail(stderr || stdout)}`));
    });
    if (child.pid !== undefined) onSpawn?.(child.pid);
  });
}

export interface MeasuredRun extends ProcessRun {
  /** Peak RSS in MB (2^20 bytes); null when it could not be measured. */
  readonly peakRssMb: number | null;
}

const TIME_BIN = '/usr/bin/time';

/** How peak RSS of a non-node command is measured here (for the report). */
export function nativeRssMethod(): string {
  return existsSync(TIME_BIN) ? `${TIME_BIN} -f %M (max RSS of the command and its reaped children, e.g. tar's gzip)` : 'VmHWM polled from /proc/<pid>/status every 20 ms';
}

/**
 * Runs a non-node command (tar) and measures its peak RSS: with GNU time's %M
 * when /usr/bin/time exists (its own start-up is a millisecond or two, inside
 * `ms`); otherwise by polling VmHWM (the kernel's high-water mark) from
 * /proc/<pid>/status every 20 ms and keeping the last value read.
 */
export async function runMeasured(command: string, args: readonly string[], options: RunOptions & { readonly scratch: string }): Promise<MeasuredRun> {
  if (existsSync(TIME_BIN)) {
    const out = `${options.scratch}.time`;
    try {
      const run = await runProcess(TIME_BIN, ['-f', '%M', '-o', out, command, ...args], options);
      const lines = readFileSync(out, 'utf8').trim().split('\n');
      const kb = Number(lines[lines.length - 1]);
      return { ...run, peakRssMb: Number.isFinite(kb) && kb > 0 ? kb / 1024 : null };
    } finally {
      rmSync(out, { force: true });
    }
  }
  let hwmKb: number | null = null;
  let timer: NodeJS.Timeout | undefined;
  const poll = (pid: number): void => {
    const read = (): void => {
      try {
        const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
        if (match?.[1] !== undefined) hwmKb = Math.max(hwmKb ?? 0, Number(match[1]));
      } catch {
        // gone
      }
    };
    read();
    timer = setInterval(read, RSS_SAMPLE_MS);
  };
  try {
    const run = await runProcess(command, args, options, poll);
    return { ...run, peakRssMb: hwmKb === null ? null : hwmKb / 1024 };
  } finally {
    if (timer) clearInterval(timer);
  }
}

function tail(text: string): string {
  return text.trim().split('\n').slice(-12).join('\n');
}
