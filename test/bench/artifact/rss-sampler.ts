/** How often a child samples its own resident set size. */
export const RSS_SAMPLE_MS = 20;

const MiB = 1024 * 1024;

/**
 * This process's peak RSS: `process.memoryUsage.rss()` every 20 ms (timer
 * unref'd, so it never keeps a process alive) plus a sample whenever asked.
 */
export class OwnPeakRss {
  private peak = 0;
  private readonly timer: NodeJS.Timeout;

  constructor() {
    this.take();
    this.timer = setInterval(() => this.take(), RSS_SAMPLE_MS);
    this.timer.unref();
  }

  /** Peak in MB (2^20 bytes) since the process started sampling, the current sample included. */
  peakMb(): number {
    this.take();
    return this.peak / MiB;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private take(): void {
    const rss = process.memoryUsage.rss();
    if (rss > this.peak) this.peak = rss;
  }
}
