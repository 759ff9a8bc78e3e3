import type { ResultRow } from './result-row';
import type { Targets } from './targets';

type Cell = string | number | null;

function formatTable(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const text = rows.map((row) => row.map((cell) => (cell === null ? '-' : String(cell))));
  const widths = header.map((h, i) => Math.max(h.length, ...text.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, i) => (i < 2 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...text.map(line)].join('\n');
}

/** The results, one line per tool variant × scenario × worker count. */
export function resultsTable(rows: readonly ResultRow[]): string {
  const header = [
    'tool',
    'scenario',
    'workers',
    'maxSurge',
    'rollMs(median)',
    'failedRequests(sum)',
    'abnormalWsCloses(sum)',
    'p99Ms(max)',
    'rssMb(peak)',
    'wsClosesPerClient(mean)',
  ];
  const cells = rows.map((r) => [
    r.tool,
    r.scenario,
    r.workers,
    r.maxSurge,
    r.rollMs,
    r.failedRequests,
    r.abnormalWsCloses,
    r.p99Ms.toFixed(2),
    r.rssMb.toFixed(1),
    r.wsClosesPerClient.toFixed(2),
  ]);
  return formatTable(header, cells);
}

/** The targets, failed ones marked. */
export function targetsTable(targets: Targets): string {
  const cells = targets.checks.map((c) => [c.pass ? 'pass' : 'FAIL', c.name, c.value, c.limit]);
  const summary = `targets: ${targets.checks.length - targets.failed}/${targets.checks.length} pass`;
  return `${formatTable(['result', 'target', 'value', 'limit'], cells)}\n${summary}`;
}
