import { readdirSync, readFileSync } from 'node:fs';

/** What the soak measures of the agent process (the cluster primary, not its workers), from /proc. */
export interface ProcessSample {
  readonly rssMb: number;
  readonly fds: number;
}

/** VmRSS of `pid` in MB (2^20 bytes). */
export function rssMb(pid: number): number {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (match?.[1] === undefined) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]) / 1024;
}

/** Open file descriptors of `pid`: the entries of /proc/<pid>/fd. */
export function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** Child processes of `pid` (its workers, and retired workers still draining). */
export function childPids(pid: number): number[] {
  const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  return text === '' ? [] : text.split(/\s+/).map(Number);
}

/** The median of `count` samples `intervalMs` apart, so one GC or one passing socket does not decide it. */
export async function sampleSettled(pid: number, count = 5, intervalMs = 200): Promise<ProcessSample> {
  const rss: number[] = [];
  const fds: number[] = [];
  for (let i = 0; i < count; i += 1) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, intervalMs));
    rss.push(rssMb(pid));
    fds.push(openFds(pid));
  }
  return { rssMb: medianOf(rss), fds: medianOf(fds) };
}

function medianOf(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}
