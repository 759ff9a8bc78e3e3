import { DURABLE_TIME_FACTOR, FETCH_RSS_LIMIT_MB, TIME_FACTOR } from './bench-config';
import { median, round } from '../reload/stats-math';
import type { Sample } from './steps';
import { PROFILE_STAGES, STAGE_THREAD, type UnpackProfile } from './unpack-profile';

/** The many-small-files case, then the one-big-file case (its names are the issue's, whatever BENCH_BIG_MB). */
export type StepName = 'push' | 'tar-czf+upload' | 'fetch+unpack' | 'tar-xzf' | 'tar-xzf+sync' | BigStepName;
export type BigStepName = 'push-1gib' | 'fetch+unpack-1gib' | 'tar-xzf+sync-1gib';
export const STEPS: readonly StepName[] = ['push', 'tar-czf+upload', 'fetch+unpack', 'tar-xzf', 'tar-xzf+sync'];
export const BIG_STEPS: readonly BigStepName[] = ['push-1gib', 'fetch+unpack-1gib', 'tar-xzf+sync-1gib'];

/** One line of the results: a step over all its runs. */
export interface ResultRow {
  readonly name: string;
  /** Median over runs, rounded to the ms. */
  readonly ms: number;
  /** Highest peak over runs, MB (2^20 bytes), 1 decimal; null when not measurable. */
  readonly peakRssMb: number | null;
  readonly runs: number;
  readonly samplesMs: readonly number[];
}

export function aggregate(name: string, samples: readonly Sample[]): ResultRow {
  const peaks = samples.flatMap((s) => (s.peakRssMb === null ? [] : [s.peakRssMb]));
  return {
    name,
    ms: Math.round(median(samples.map((s) => s.ms)) ?? 0),
    peakRssMb: peaks.length === 0 ? null : round(Math.max(...peaks), 1),
    runs: samples.length,
    samplesMs: samples.map((s) => Math.round(s.ms)),
  };
}

export interface TargetCheck {
  readonly name: string;
  readonly value: number | null;
  readonly limit: number | null;
  readonly pass: boolean;
}

export interface Targets {
  readonly pass: boolean;
  readonly failed: number;
  readonly checks: readonly TargetCheck[];
}

function atMost(name: string, value: number | null, limit: number | null): TargetCheck {
  const pass = value !== null && limit !== null && value <= limit;
  return { name, value, limit: limit === null ? null : round(limit, 1), pass };
}

/**
 * The targets, from this run's medians: fetch+unpack ms ≤ 1.0 × tar-xzf+sync ms and
 * ≤ 1.3 × tar-xzf ms, push ms ≤ 1.3 × tar-czf+upload ms, fetch+unpack peak RSS ≤ 150 MB; and,
 * when the big-file case ran, fetch+unpack-1gib ms ≤ 1.3 × tar-xzf+sync-1gib ms and its peak
 * RSS ≤ 150 MB. A row that is missing makes its check fail (value or limit null).
 */
export function computeTargets(rows: readonly ResultRow[], withBigCase: boolean): Targets {
  const row = (name: StepName): ResultRow | undefined => rows.find((r) => r.name === name);
  const fetch = row('fetch+unpack');
  const xzf = row('tar-xzf');
  const synced = row('tar-xzf+sync');
  const push = row('push');
  const czf = row('tar-czf+upload');
  const checks = [
    atMost(`fetch+unpack ms <= ${DURABLE_TIME_FACTOR} x tar-xzf+sync ms`, fetch?.ms ?? null, synced ? DURABLE_TIME_FACTOR * synced.ms : null),
    atMost(`fetch+unpack ms <= ${TIME_FACTOR} x tar-xzf ms`, fetch?.ms ?? null, xzf ? TIME_FACTOR * xzf.ms : null),
    atMost(`push ms <= ${TIME_FACTOR} x tar-czf+upload ms`, push?.ms ?? null, czf ? TIME_FACTOR * czf.ms : null),
    atMost(`fetch+unpack peakRssMb <= ${FETCH_RSS_LIMIT_MB}`, fetch?.peakRssMb ?? null, FETCH_RSS_LIMIT_MB),
  ];
  if (withBigCase) {
    const bigFetch = row('fetch+unpack-1gib');
    const bigSynced = row('tar-xzf+sync-1gib');
    checks.push(
      atMost(`fetch+unpack-1gib ms <= ${TIME_FACTOR} x tar-xzf+sync-1gib ms`, bigFetch?.ms ?? null, bigSynced ? TIME_FACTOR * bigSynced.ms : null),
      atMost(`fetch+unpack-1gib peakRssMb <= ${FETCH_RSS_LIMIT_MB}`, bigFetch?.peakRssMb ?? null, FETCH_RSS_LIMIT_MB),
    );
  }
  const failed = checks.filter((c) => !c.pass).length;
  return { pass: failed === 0, failed, checks };
}

type Cell = string | number | null;

function formatTable(header: readonly string[], rows: readonly (readonly Cell[])[], leftColumns: number): string {
  const text = rows.map((row) => row.map((cell) => (cell === null ? '-' : String(cell))));
  const widths = header.map((h, i) => Math.max(h.length, ...text.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, i) => (i < leftColumns ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...text.map(line)].join('\n');
}

/** The results, one row per step. */
export function resultsTable(rows: readonly ResultRow[]): string {
  const cells = rows.map((r) => [
    r.name,
    r.ms,
    r.peakRssMb === null ? null : r.peakRssMb.toFixed(1),
    r.runs,
    r.samplesMs.join(', '),
  ]);
  return formatTable(['name', 'ms(median)', 'peakRssMb(max)', 'runs', 'ms per run'], cells, 1);
}

export function targetsTable(targets: Targets): string {
  const cells = targets.checks.map((c) => [c.pass ? 'pass' : 'FAIL', c.name, c.value, c.limit]);
  return `${formatTable(['result', 'target', 'value', 'limit'], cells, 2)}\ntargets: ${targets.checks.length - targets.failed}/${targets.checks.length} pass`;
}

export type ProfileMedians = Readonly<Record<(typeof PROFILE_STAGES)[number], number>>;

/** The median of each stage over the runs of one case; null without runs. */
export function profileMedians(profiles: readonly UnpackProfile[]): ProfileMedians | null {
  if (profiles.length === 0) return null;
  const entries = PROFILE_STAGES.map((stage) => [stage, Math.round(median(profiles.map((p) => p[stage])) ?? 0)] as const);
  return Object.fromEntries(entries) as Record<(typeof PROFILE_STAGES)[number], number>;
}

/** Stage × case: where fetch+unpack spent its time, per thread (medians of its profiled runs). */
export function profileTable(cases: readonly { readonly name: string; readonly medians: ProfileMedians | null }[]): string {
  const shown = cases.filter((c) => c.medians !== null);
  const cells = PROFILE_STAGES.map((stage) => [stage.replace(/Ms$/, ''), STAGE_THREAD[stage], ...shown.map((c) => c.medians?.[stage] ?? null)]);
  return formatTable(['stage', 'thread', ...shown.map((c) => `${c.name} ms`)], cells, 2);
}
