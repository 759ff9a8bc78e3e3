import { formatTable } from '../../../cli/output/text-table';
import { SOAK_MAX_GROWTH } from './soak-config';
import type { SoakResult } from './soak-run';

export interface SoakCheck {
  readonly name: string;
  readonly value: string;
  readonly limit: string;
  readonly pass: boolean;
}

/** Nearest-rank percentile (p in 0-100); NaN for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] ?? Number.NaN;
}

const round1 = (value: number): number => Math.round(value * 10) / 10;
const growth = (before: number, after: number): number => (after - before) / before;
const pct = (ratio: number): string => `${(ratio * 100).toFixed(1)} %`;

/** The targets: no failed request, no abnormal close, every deploy live, RSS and fds grow ≤ 10 %. */
export function soakChecks(result: SoakResult): SoakCheck[] {
  const rssGrowth = growth(result.before.rssMb, result.after.rssMb);
  const fdGrowth = growth(result.before.fds, result.after.fds);
  return [
    { name: 'failed requests', value: String(result.failedRequests), limit: '0', pass: result.failedRequests === 0 },
    { name: 'abnormal WebSocket closes', value: String(result.abnormalWsCloses), limit: '0', pass: result.abnormalWsCloses === 0 },
    { name: 'deploys live', value: `${result.deploys - result.failedDeploys.length}/${result.deploys}`, limit: 'all', pass: result.failedDeploys.length === 0 },
    { name: 'agent RSS growth', value: pct(rssGrowth), limit: `<= ${pct(SOAK_MAX_GROWTH)}`, pass: rssGrowth <= SOAK_MAX_GROWTH },
    { name: 'agent open fds growth', value: pct(fdGrowth), limit: `<= ${pct(SOAK_MAX_GROWTH)}`, pass: fdGrowth <= SOAK_MAX_GROWTH },
    { name: 'agent exit after SIGTERM', value: String(result.agentExit.code ?? result.agentExit.signal), limit: '0', pass: result.agentExit.code === 0 },
  ];
}

/** The figures, then the targets. */
export function soakTable(result: SoakResult, checks: readonly SoakCheck[]): string {
  const figures = [
    ['deploys (measured)', String(result.deploys)],
    ['HTTP requests', String(result.requests)],
    ['failed requests', String(result.failedRequests)],
    ['WebSocket connects', String(result.wsConnects)],
    ['abnormal WebSocket closes', String(result.abnormalWsCloses)],
    ['agent RSS before / after (MB)', `${round1(result.before.rssMb)} / ${round1(result.after.rssMb)}`],
    ['agent open fds before / after', `${result.before.fds} / ${result.after.fds}`],
    ['deploy ms p50 / p99 / max', `${percentile(result.deployMs, 50)} / ${percentile(result.deployMs, 99)} / ${Math.max(...result.deployMs)}`],
  ];
  const targets = checks.map((c) => [c.pass ? 'pass' : 'FAIL', c.name, c.value, c.limit]);
  const details = [
    ...result.failedDeploys.map((d) => `failed deploy: ${d}`),
    ...result.failures.map((f) => `failed request: ${f}`),
    ...result.wsFailures.map((f) => `abnormal WebSocket close: ${f}`),
  ];
  return [...formatTable(['figure', 'value'], figures), '', ...formatTable(['result', 'target', 'value', 'limit'], targets), ...details].join('\n');
}

/** The last line of the bench. */
export function soakJson(result: SoakResult): string {
  return JSON.stringify({
    bench: 'soak',
    deploys: result.deploys,
    failedRequests: result.failedRequests,
    abnormalWsCloses: result.abnormalWsCloses,
    rssMbBefore: round1(result.before.rssMb),
    rssMbAfter: round1(result.after.rssMb),
    fdsBefore: result.before.fds,
    fdsAfter: result.after.fds,
    deployMsP50: percentile(result.deployMs, 50),
    deployMsP99: percentile(result.deployMs, 99),
  });
}
