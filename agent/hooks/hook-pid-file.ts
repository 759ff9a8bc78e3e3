import { readFileSync, rmSync, writeFileSync } from 'node:fs';

/**
 * `<releasesDir>/hook.pid`: the process group of the hook running now, with
 * its start time (field 22 of /proc/<pid>/stat). A hook runs in a group of
 * its own, so it outlives an agent that is SIGKILLed; the next start of the
 * agent kills what is left of that group, and only if the pid still names the
 * same process (not a later one that reuses it). Linux only, like the agent.
 */
export class HookPidFile {
  constructor(private readonly file: string) {}

  record(pid: number): void {
    const startTicks = startTicksOf(pid);
    if (startTicks === undefined) return; // already gone
    try {
      writeFileSync(this.file, `${JSON.stringify({ pgid: pid, startTicks })}\n`);
    } catch {
      // Best effort: a full disk must not fail the hook.
    }
  }

  clear(): void {
    rmSync(this.file, { force: true });
  }

  /** Kills the group a dead agent's hook left behind; its pgid, or undefined when there was none. */
  killLeftover(): number | undefined {
    let recorded: { pgid?: unknown; startTicks?: unknown };
    try {
      recorded = JSON.parse(readFileSync(this.file, 'utf8')) as typeof recorded;
    } catch {
      this.clear();
      return undefined;
    }
    this.clear();
    const { pgid, startTicks } = recorded;
    if (typeof pgid !== 'number' || typeof startTicks !== 'number' || startTicksOf(pgid) !== startTicks) return undefined;
    try {
      process.kill(-pgid, 'SIGKILL');
      return pgid;
    } catch {
      return undefined;
    }
  }
}

function startTicksOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    return Number.isFinite(ticks) ? ticks : undefined;
  } catch {
    return undefined;
  }
}
