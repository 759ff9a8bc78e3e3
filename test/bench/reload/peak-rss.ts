import { readFileSync } from 'node:fs';

/** How often the resident set size is sampled. */
export const RSS_SAMPLE_MS = 50;

/**
 * Samples a resident set size (bytes) every 50 ms and keeps the peak since the
 * last `reset()`. A sample that fails (the process is gone) is skipped.
 */
export class PeakRss {
  private peak = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly sample: () => number | undefined) {}

  start(): this {
    this.take();
    this.timer ??= setInterval(() => this.take(), RSS_SAMPLE_MS);
    this.timer.unref();
    return this;
  }

  reset(): void {
    this.peak = 0;
    this.take();
  }

  /** Peak in MB (2^20 bytes) since the last reset, the current sample included. */
  peakMb(): number {
    this.take();
    return this.peak / (1024 * 1024);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private take(): void {
    const rss = this.sample();
    if (rss !== undefined && rss > this.peak) this.peak = rss;
  }
}

/** This process's own RSS. */
export const ownRss = (): number => process.memoryUsage().rss;

/** Another process's RSS from /proc/<pid>/status (VmRSS, kB); undefined when it cannot be read. */
export function procRss(pid: number): () => number | undefined {
  return () => {
    let status: string;
    try {
      status = readFileSync(`/proc/${pid}/status`, 'utf8');
    } catch {
      return undefined;
    }
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
    return match?.[1] === undefined ? undefined : Number(match[1]) * 1024;
  };
}
