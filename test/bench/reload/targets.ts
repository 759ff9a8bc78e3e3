import type { ResultRow } from './result-row';

/** One check of the targets against measured figures. */
export interface TargetCheck {
  readonly name: string;
  readonly value: number | null;
  readonly limit: number | null;
  readonly pass: boolean;
}

export interface Targets {
  /** Every check passed. */
  readonly pass: boolean;
  readonly failed: number;
  readonly checks: readonly TargetCheck[];
}

/** Scenarios in which a roll is meant to complete (never-listens is meant to fail and keep v1). */
const COMPLETING = new Set(['graceful', 'unmodified']);
const RSS_LIMIT_MB = 80;
const WS_CLOSES_LIMIT = 1.05;

function label(row: ResultRow): string {
  return `${row.tool} ${row.scenario} workers=${row.workers} maxSurge=${row.maxSurge}`;
}

/** value ≤ limit; a missing value fails, a missing limit (nothing to compare with) passes a present value. */
function atMost(name: string, value: number | null, limit: number | null): TargetCheck {
  const pass = value !== null && (limit === null || value <= limit);
  return { name, value, limit: limit === null ? null : Math.round(limit * 100) / 100, pass };
}

/**
 * The issue's targets, computed from what this run measured:
 * - every deployctl row: 0 failed requests, 0 abnormal WebSocket closes, primary RSS ≤ 80 MB;
 * - deployctl maxSurge 1 (graceful, unmodified): rollMs ≤ 1.1 × workers × forkToListeningMs,
 *   and at 4 workers rollMs ≤ pm2's rollMs on the same scenario; wsClosesPerClient ≤ 1.05;
 * - deployctl maxSurge = workers (graceful, unmodified): rollMs ≤ 1.4 × forkToListeningMs.
 */
export function computeTargets(rows: readonly ResultRow[], forkToListeningMs: number): Targets {
  const checks: TargetCheck[] = [];
  for (const row of rows) {
    if (row.tool !== 'deployctl') continue;
    const name = label(row);
    checks.push(atMost(`${name} failedRequests`, row.failedRequests, 0));
    checks.push(atMost(`${name} abnormalWsCloses`, row.abnormalWsCloses, 0));
    checks.push(atMost(`${name} rssMb`, row.rssMb, RSS_LIMIT_MB));
    if (!COMPLETING.has(row.scenario)) continue;
    const surge = row.maxSurge === row.workers && row.workers > 1;
    if (row.maxSurge === 1) {
      checks.push(atMost(`${name} rollMs vs 1.1 x workers x forkToListeningMs`, row.rollMs, 1.1 * row.workers * forkToListeningMs));
      checks.push(atMost(`${name} wsClosesPerClient`, row.wsClosesPerClient, WS_CLOSES_LIMIT));
      if (row.workers === 4) {
        const pm2 = rows.find((r) => r.tool === 'pm2' && r.scenario === row.scenario && r.workers === 4);
        if (pm2) checks.push(atMost(`${name} rollMs vs pm2 rollMs`, row.rollMs, pm2.rollMs));
      }
    }
    if (surge) checks.push(atMost(`${name} rollMs vs 1.4 x forkToListeningMs`, row.rollMs, 1.4 * forkToListeningMs));
  }
  const failed = checks.filter((c) => !c.pass).length;
  return { pass: failed === 0, failed, checks };
}
