import { systemClock, type Clock, type Timer } from '../clock';
import { DeployError, describeError } from '../errors';
import type { Logger } from '../log/logger';
import type { ReleaseStore } from '../store/release-store';
import type { InstanceReport } from './instance-report';

/** After a failed write the report is tried again this soon, or at the heartbeat if that comes first. */
export const FAILED_WRITE_RETRY_MS = 30_000;

export interface StatusReporterDeps {
  readonly store: Pick<ReleaseStore, 'url' | 'writeInstanceStatus'>;
  /** The report as of now; called right before each write, so a write carries the latest state. */
  readonly snapshot: () => InstanceReport;
  /**
   * With no change, the report is rewritten this long after the last write
   * (config `heartbeatMs`): how `deployctl status` tells a live agent from a gone one.
   */
  readonly heartbeatMs: number;
  readonly log: Logger;
  /** How long `stop` waits for its final report. @default 5000 */
  readonly finalReportTimeoutMs?: number;
  /** @default systemClock */
  readonly clock?: Clock;
}

/**
 * Writes this instance's report (instances/<id>.json) when what it says
 * changes, and as a heartbeat when nothing has for `heartbeatMs`: an idle
 * instance costs one PUT per heartbeat, a deploy one per step. `report()` is
 * cheap to call on every event: a snapshot equal to the last one written is not
 * written again. Never two writes at once: requests made during a write are
 * folded into ONE more write after it. A failed write is logged once per
 * change of problem and never stops the agent; it is tried again on the next
 * change or after FAILED_WRITE_RETRY_MS (or the heartbeat, if sooner).
 */
export class StatusReporter {
  private readonly clock: Clock;
  private timer: Timer | undefined;
  private writing: Promise<void> | undefined;
  private pending = false;
  /** The pending write is due even if nothing changed (heartbeat, first and final report). */
  private forced = false;
  /** What the last successful write said (without its timestamp). */
  private lastWritten: string | undefined;
  private problem: string | undefined;
  private started = false;
  private stopping: Promise<void> | undefined;

  constructor(private readonly deps: StatusReporterDeps) {
    this.clock = deps.clock ?? systemClock;
  }

  /** Writes a first report; the heartbeat runs from there. */
  start(): void {
    if (this.started || this.stopping) return;
    this.started = true;
    this.request(true);
  }

  /** Asks for a report of the current state; returns at once. Written only if the state changed. Ignored after `stop`. */
  report(): void {
    if (this.stopping || !this.started) return;
    this.request(false);
  }

  /** Stops the heartbeat and writes a final report (waiting for it at most finalReportTimeoutMs). Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.timer?.clear();
      this.timer = undefined;
      const final = this.request(true);
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

  private request(force: boolean): Promise<void> {
    this.pending = true;
    this.forced ||= force;
    this.writing ??= this.drain();
    return this.writing;
  }

  private async drain(): Promise<void> {
    while (this.pending) {
      this.pending = false;
      const force = this.forced;
      this.forced = false;
      await this.writeIfDue(force);
    }
    // Cleared in the same tick as the last check of `pending`: no request can fall in between.
    this.writing = undefined;
  }

  private async writeIfDue(force: boolean): Promise<void> {
    const report = this.deps.snapshot();
    const said = JSON.stringify(report);
    if (!force && said === this.lastWritten) return;
    const ok = await this.write(report);
    if (ok) this.lastWritten = said;
    this.schedule(ok ? this.deps.heartbeatMs : Math.min(this.deps.heartbeatMs, FAILED_WRITE_RETRY_MS));
  }

  /** The next heartbeat (or retry), counted from this write. */
  private schedule(ms: number): void {
    this.timer?.clear();
    this.timer = undefined;
    if (this.stopping) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      if (!this.stopping) this.request(true);
    }, ms);
  }

  private async write(report: InstanceReport): Promise<boolean> {
    const { store, log } = this.deps;
    try {
      await store.writeInstanceStatus({ ...report, updatedAt: new Date(this.clock.now()).toISOString() });
      if (this.problem !== undefined) log.info({ store: store.url }, 'status reports are written again');
      this.problem = undefined;
      return true;
    } catch (error) {
      const problem = describeError(error);
      if (problem !== this.problem) {
        const code = error instanceof DeployError ? error.code : 'UNEXPECTED';
        log.warn({ store: store.url, code, err: problem }, 'cannot write the status report; the agent carries on and tries again');
      }
      this.problem = problem;
      return false;
    }
  }
}
