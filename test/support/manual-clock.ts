import type { Clock, Timer } from '../../agent/clock';

/** A clock whose time only moves when the test says so (for schedules measured in minutes). */
export class ManualClock implements Clock {
  private time: number;
  private timers: { at: number; fn: () => void; cleared: boolean }[] = [];

  constructor(start: number = Date.parse('2026-01-01T00:00:00Z')) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const timer = { at: this.time + ms, fn, cleared: false };
    this.timers.push(timer);
    return { clear: () => void (timer.cleared = true) };
  }

  /** Moves time on by `ms`, firing due timers in order (and those they schedule). */
  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      const due = this.timers.filter((t) => !t.cleared && t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      due.cleared = true;
      this.time = due.at;
      due.fn();
    }
    this.time = until;
  }

  /** Timers still waiting to fire. */
  pending(): number {
    return this.timers.filter((t) => !t.cleared).length;
  }
}
