import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * What a test needs to prove that a killed process left nothing running:
 * its children (from /proc), whether they are gone, whether a port is free.
 * Linux only (the agent's target).
 */

/** One process, told apart from a later one that reuses its pid by its start time. */
export interface ProcessRef {
  readonly pid: number;
  /** Field 22 of /proc/<pid>/stat: clock ticks after boot at which it started. */
  readonly startTicks: number;
}

/** The processes whose parent is `pid`, right now. */
export function childProcesses(pid: number): ProcessRef[] {
  const children: ProcessRef[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat?.ppid === pid) children.push({ pid: Number(name), startTicks: stat.startTicks });
  }
  return children;
}

/**
 * True when the process no longer runs: no such pid, a pid now used by another
 * process, or a zombie (exited, not yet reaped: an orphan's new parent may be
 * slow to reap, or never reap in a container whose pid 1 is not an init).
 */
export function isGone(process: ProcessRef): boolean {
  const stat = readStat(process.pid);
  return stat === undefined || stat.startTicks !== process.startTicks || stat.state === 'Z' || stat.state === 'X';
}

/** True while the process holds file descriptor `fd` open (e.g. 3: a cluster worker's IPC channel). */
export function holdsFd(process: ProcessRef, fd: number): boolean {
  try {
    readlinkSync(`/proc/${process.pid}/fd/${fd}`);
    return !isGone(process);
  } catch {
    return false;
  }
}

/** SIGKILLs the process unless it is gone (never another process that reuses its pid). */
export function killIfRunning(target: ProcessRef): void {
  if (isGone(target)) return;
  try {
    process.kill(target.pid, 'SIGKILL');
  } catch {
    // gone meanwhile
  }
}

/** Resolves true when nothing listens on `port` (any address): we could bind it ourselves. */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, () => server.close(() => resolve(true)));
  });
}

/** Fields of /proc/<pid>/stat; undefined when the process is gone. */
function readStat(pid: number): { state: string; ppid: number; startTicks: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
  // After it, field 3 (state) is index 0, so field 22 (starttime) is index 19.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const [state, ppid] = fields;
  const startTicks = fields[19];
  return state === undefined || ppid === undefined || startTicks === undefined ? undefined : { state, ppid: Number(ppid), startTicks: Number(startTicks) };
}
