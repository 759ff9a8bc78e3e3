import { DeployError, describeError } from '../errors';
import type { Logger } from '../log/logger';
import type { ReleaseStore } from '../store/release-store';
import type { InstanceReport } from './instance-report';

export interface StatusReporterDeps {
  readonly store: Pick<ReleaseStore, 'url' | 'writeInstanceStatus'>;
  /** The report as of now; called right before each write, so a write carries the latest state. */
  readonly snapshot: () => InstanceReport;
  /** A report is written at least this often, even when nothing changes (config `heartbeatMs`). */
  readonly heartbeatMs: number;
  readonly log: Logger;
  /** How long `stop` waits for its final report. @default 5000 */
  readonly finalReportTimeoutMs?: number;
}

/**
 * Writes this instance's report (instances/<id>.json) whenever asked (every
 * change of deploy step, worker events) and as a heartbeat. Never two writes
 * at once: requests made during a write are folded into ONE more write after
 * it. A failed write is logged once per change of problem and never stops the
 * agent; the next request or heartbeat tries again.
 */
export class StatusReporter {
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private pending = false;
  private problem: string | undefined;
  private stopping: Promise<void> | undefined;

  constructor(private readonly deps: StatusReporterDeps) {}

  /** Writes a first report and starts the heartbeat (an unref'd timer: it never keeps the process up). */
  start(): void {
    if (this.timer || this.stopping) return;
    this.timer = setInterval(() => this.report(), this.deps.heartbeatMs);
    this.timer.unref();
    this.report();
  }

  /** Asks for a report of the current state; returns at once. Ignored after `stop`. */
  report(): void {
    if (this.stopping) return;
    this.request();
  }

  /** Stops the heartbeat and writes a final report (waiting for it at most finalReportTimeoutMs). Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      clearInterval(this.timer);
      const final = this.request();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.deps.finalReportTimeoutMs ?? 5_000);
        timer.unref();
      });
      await Promise.race([final, timeout]);
      clearTimeout(timer);
    })();
    return this.stopping;
  }

  /** Resolves when no write is running or queued (tests). */
  async idle(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private request(): Promise<void> {
    this.pending = true;
    this.writing ??= this.drain();
    return this.writing;
  }

  private async drain(): Promise<void> {
    while (this.pending) {
      this.pending = false;
      await this.writeOnce();
    }
    // Cleared in the same tick as the last check of `pending`: no request can fall in between.
    this.writing = undefined;
  }

  private async writeOnce(): Promise<void> {
    const { store, log } = this.deps;
    try {
      await store.writeInstanceStatus({ ...this.deps.snapshot(), updatedAt: new Date().toISOString() });
      if (this.problem !== undefined) log.info({ store: store.url }, 'status reports are written again');
      this.problem = undefined;
    } catch (error) {
      const problem = describeError(error);
      if (problem !== this.problem) {
        const code = error instanceof DeployError ? error.code : 'UNEXPECTED';
        log.warn({ store: store.url, code, err: problem }, 'cannot write the status report; the agent carries on and tries again');
      }
      this.problem = problem;
    }
  }
}
