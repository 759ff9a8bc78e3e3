import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { repoRoot } from '../../support/fixture-releases';
import { onCleanup } from './cleanup';
import { errorMessage } from './ipc-protocol';

const KILL_TIMEOUT_MS = 30_000;
const DAEMON_EXIT_MS = 5_000;

export interface Pm2Result {
  readonly stdout: string;
  readonly stderr: string;
  /** Wall-clock time of the command, ms. */
  readonly ms: number;
}

/**
 * The pm2 CLI (node_modules/pm2) against one private PM2_HOME. The daemon it
 * starts is registered for cleanup at once: `kill()` (or the bench's cleanup
 * on error or SIGINT) runs `pm2 kill`, then SIGKILLs the daemon if it is still there.
 */
export class Pm2Cli {
  private readonly bin = path.join(repoRoot(), 'node_modules', 'pm2', 'bin', 'pm2');
  private readonly unregister: () => void;
  private killing: Promise<void> | undefined;
  private knownDaemonPid: number | undefined;

  constructor(readonly home: string) {
    this.unregister = onCleanup(`pm2 daemon (PM2_HOME ${home})`, () => this.kill());
  }

  /** Runs `pm2 <args>` with `env` on top of ours; rejects on a non-zero exit or after `timeoutMs`. */
  run(args: readonly string[], env: Readonly<Record<string, string>>, timeoutMs: number): Promise<Pm2Result> {
    const label = `pm2 ${args.join(' ')}`;
    const started = performance.now();
    return new Promise((resolve, reject) => {
      execFile(
        process.execPath,
        [this.bin, ...args],
        { env: { ...process.env, ...env, PM2_HOME: this.home }, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 << 20 },
        (error, stdout, stderr) => {
          const ms = performance.now() - started;
          if (!error) return resolve({ stdout, stderr, ms });
          const timedOut = ms >= timeoutMs;
          const why = timedOut ? `timed out after ${timeoutMs} ms waiting for ${label}` : `${label} failed: ${error.message}`;
          reject(new Error(`${why}\n${tail(stdout)}\n${tail(stderr)}`));
        },
      );
    });
  }

  /** The God daemon's pid ($PM2_HOME/pm2.pid), once it runs. */
  daemonPid(): number | undefined {
    try {
      const pid = Number(readFileSync(path.join(this.home, 'pm2.pid'), 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0) this.knownDaemonPid = pid;
    } catch {
      // not started yet
    }
    return this.knownDaemonPid;
  }

  /** `pm2 kill`, then SIGKILL for a daemon that is still alive. Idempotent. */
  kill(): Promise<void> {
    this.killing ??= this.killNow();
    return this.killing;
  }

  private async killNow(): Promise<void> {
    this.unregister();
    const pid = this.daemonPid();
    if (pid === undefined) return; // no daemon was ever started
    try {
      await this.run(['kill'], {}, KILL_TIMEOUT_MS);
    } catch (error: unknown) {
      process.stderr.write(`pm2 kill failed: ${errorMessage(error)}\n`);
    }
    // `pm2 kill` returns as the daemon starts to exit: give it a moment.
    const deadline = Date.now() + DAEMON_EXIT_MS;
    while (isAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    if (isAlive(pid)) {
      process.stderr.write(`timed out after ${DAEMON_EXIT_MS} ms waiting for pm2 daemon ${pid} to exit after pm2 kill: SIGKILL\n`);
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  }
}

/** Alive and not a zombie (an exited daemon stays a zombie until its adoptive parent reaps it). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

function tail(text: string): string {
  return text.split('\n').slice(-15).join('\n');
}
