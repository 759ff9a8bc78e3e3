import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { DeployError } from '../errors';
import type { Logger } from '../log/logger';
import type { HookName } from './hook-names';

/** SIGKILL follows SIGTERM to a hook's process group after this long. */
export const HOOK_KILL_GRACE_MS = 5_000;

/** Lines of a hook's output a failure message carries. */
export const HOOK_TAIL_LINES = 10;

export interface HookRun {
  readonly name: HookName;
  readonly command: string;
  /** The release dir. */
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly uid?: number | undefined;
  readonly gid?: number | undefined;
  readonly timeoutMs: number;
  /** @default HOOK_KILL_GRACE_MS */
  readonly killGraceMs?: number;
  /** Each output line goes here (the logger carries `version` and `step`; the runner adds `hook`). */
  readonly log: Logger;
  /** Fires when the agent stops: the hook is killed the same way as on its timeout. */
  readonly signal?: AbortSignal;
  /** Values never to be logged (resolved secrets): replaced by *** in output lines. */
  readonly redact?: readonly string[];
  /** Told the hook's pid once it runs. */
  readonly onSpawn?: (pid: number) => void;
}

type Ending = 'timeout' | 'stopped' | undefined;

/**
 * Runs one hook command: `/bin/sh -c <command>` in its own process group
 * (detached), as app.user/app.group, its stdout and stderr logged line by line.
 * Resolves when it exits 0. On `timeoutMs`, or the agent's stop, the whole group
 * gets SIGTERM and SIGKILL `killGraceMs` later; and once the shell has exited,
 * whatever it left running in its group is killed, so a hook never leaves a
 * process behind. Failures: HOOK_FAILED (exit code or signal), HOOK_TIMEOUT,
 * HOOK_INTERRUPTED, each with the hook's last output lines.
 */
export async function runHook(run: HookRun): Promise<void> {
  const { name, command, log } = run;
  if (run.signal?.aborted) throw interrupted(run, []);
  const tail: string[] = [];
  const child = spawn('/bin/sh', ['-c', command], {
    cwd: run.cwd,
    env: { ...run.env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(run.uid !== undefined ? { uid: run.uid } : {}),
    ...(run.gid !== undefined ? { gid: run.gid } : {}),
  });
  const pid = child.pid;
  const killGroup = (signal: NodeJS.Signals): void => {
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // ESRCH: the group is gone already.
    }
  };
  const closed = [follow(child.stdout, 'stdout'), follow(child.stderr, 'stderr')];
  function follow(stream: Readable, name: 'stdout' | 'stderr'): Promise<void> {
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    lines.on('line', (raw) => {
      const line = redact(raw, run.redact ?? []);
      tail.push(line);
      if (tail.length > HOOK_TAIL_LINES) tail.shift();
      log.info({ hook: run.name, stream: name }, line);
    });
    return new Promise((resolve) => lines.once('close', resolve));
  }

  let ending: Ending;
  let killTimer: NodeJS.Timeout | undefined;
  const end = (why: Exclude<Ending, undefined>): void => {
    if (ending !== undefined) return;
    ending = why;
    log.warn({ hook: name, pid, why }, why === 'timeout' ? `${name} hook ran past ${run.timeoutMs} ms; killing its process group` : `stopping the ${name} hook: the agent is stopping`);
    killGroup('SIGTERM');
    killTimer = setTimeout(() => killGroup('SIGKILL'), run.killGraceMs ?? HOOK_KILL_GRACE_MS);
  };
  const timeout = setTimeout(() => end('timeout'), run.timeoutMs);
  const onAbort = (): void => end('stopped');
  run.signal?.addEventListener('abort', onAbort);

  log.info({ hook: name, pid, timeoutMs: run.timeoutMs }, `running the ${name} hook: ${command}`);
  if (pid !== undefined) run.onSpawn?.(pid);
  let exit: { code: number | null; signal: NodeJS.Signals | null };
  try {
    exit = await new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
  } catch (error) {
    throw new DeployError('HOOK_FAILED', `the ${name} hook could not start (${(error as Error).message}); check that the release dir and /bin/sh are there and app.user may use them`, { cause: error });
  } finally {
    clearTimeout(timeout);
    run.signal?.removeEventListener('abort', onAbort);
    // The shell is gone: nothing it started may outlive it.
    killGroup('SIGKILL');
    clearTimeout(killTimer);
  }
  // Every writer of the pipes in the group is dead now; one that left the group (setsid) must not hold us.
  const drained = setTimeout(() => {
    child.stdout.destroy();
    child.stderr.destroy();
  }, 2_000);
  await Promise.all(closed);
  clearTimeout(drained);
  if (ending === 'timeout') {
    throw new DeployError('HOOK_TIMEOUT', `the ${name} hook ran longer than hookTimeoutMs (${run.timeoutMs} ms) and was killed with its process group${lastOutput(tail)}; make it faster or raise hookTimeoutMs in deployctl.json`);
  }
  if (ending === 'stopped') throw interrupted(run, tail);
  if (exit.code === 0) {
    log.info({ hook: name }, `${name} hook succeeded`);
    return;
  }
  const how = exit.signal !== null ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
  throw new DeployError('HOOK_FAILED', `the ${name} hook (${command}) ${how}${lastOutput(tail)}`);
}

function interrupted(run: HookRun, tail: readonly string[]): DeployError {
  return new DeployError('HOOK_INTERRUPTED', `the ${run.name} hook was stopped with its process group: the agent is stopping${lastOutput(tail)}`);
}

function lastOutput(tail: readonly string[]): string {
  return tail.length === 0 ? '' : `; last output: ${tail.join(' | ')}`;
}

function redact(line: string, secrets: readonly string[]): string {
  let out = line;
  for (const secret of secrets) if (secret.length > 0) out = out.split(secret).join('***');
  return out;
}
