import { IDLE_COST_BUDGET_USD_PER_DAY, PICKUP_P50_TARGET_MS } from '../../../agent/status/request-cost';
import { formatTable } from '../../../cli/output/text-table';
import { percentile } from '../soak/soak-report';
import type { FleetResult } from './fleet-run';

/** The figures of the JSON line; null when not measured. */
export interface FleetFigures {
  readonly goodNoPolicyMs: number | null;
  readonly goodCanaryMs: number | null;
  readonly badTried: number | null;
  readonly badRevertMs: number | null;
  readonly failedRequests: number | null;
  readonly idleCostPerInstanceDayUsd: number;
  readonly pickupP50Ms: number | null;
}

export interface FleetCheck {
  readonly name: string;
  readonly value: string;
  readonly limit: string;
  /** null: not measured in this run. */
  readonly pass: boolean | null;
}

export function fleetFigures(result: FleetResult): FleetFigures {
  const converged = result.pushes.map((p) => p.convergedMs);
  const pickups = result.pushes.flatMap((p) => p.pickupMs);
  return {
    goodNoPolicyMs: converged.length === 0 ? null : percentile(converged, 50),
    goodCanaryMs: result.canary?.goodCanaryMs ?? null,
    badTried: result.bad?.tried.length ?? null,
    badRevertMs: result.bad?.revertMs ?? null,
    failedRequests: result.load?.failedRequests ?? null,
    idleCostPerInstanceDayUsd: Number(result.idle.usdPerInstanceDay.toFixed(6)),
    pickupP50Ms: pickups.length === 0 ? null : percentile(pickups, 50),
  };
}

/** Issue #13's targets, each computed from the run. */
export function fleetChecks(figures: FleetFigures): FleetCheck[] {
  const check = (name: string, value: number | null, limit: number, show: (n: number) => string = String): FleetCheck => ({
    name,
    value: value === null ? 'not measured' : show(value),
    limit: `<= ${show(limit)}`,
    pass: value === null ? null : value <= limit,
  });
  return [
    check('badTried', figures.badTried, 1),
    check('failedRequests', figures.failedRequests, 0),
    check('idleCostPerInstanceDayUsd', figures.idleCostPerInstanceDayUsd, IDLE_COST_BUDGET_USD_PER_DAY, (n) => `$${n.toFixed(5)}`),
    check('pickupP50Ms', figures.pickupP50Ms, PICKUP_P50_TARGET_MS),
  ];
}

/** The figures, the idle fleet's requests, then the targets. */
export function fleetTable(result: FleetResult, figures: FleetFigures, checks: readonly FleetCheck[]): string {
  const na = (value: number | null, unit = ''): string => (value === null ? `null (${result.policyNote ?? 'not run'})` : `${value}${unit}`);
  const { idle } = result;
  const rows = [
    ['agents', String(result.agents)],
    ['(a) good push, no policy: push → converged (median of pushes)', na(figures.goodNoPolicyMs, ' ms')],
    ['    each push (ms)', result.pushes.map((p) => p.convergedMs).join(', ') || '-'],
    ['(a) good push, --canary 1 --batch 2 --bake 0: push → converged', na(figures.goodCanaryMs, ' ms')],
    ['(b) crashing release, --canary 1: instances that tried it', na(figures.badTried)],
    ['(b) push → reverted and converged on lastGood', na(figures.badRevertMs, ' ms')],
    ['failed requests (HTTP load on every instance, (a) and (b))', figures.failedRequests === null ? 'not run' : `${figures.failedRequests} of ${result.load?.requests ?? 0}`],
    ['pickup p50: push → an agent reads the manifest', figures.pickupP50Ms === null ? 'not run' : `${figures.pickupP50Ms} ms (${result.pushes.length} pushes × ${result.agents} agents)`],
    [
      `(c) idle: ${idle.minutes} min of the agents' clock (timers / ${idle.scale}: poll ${idle.timers.pollIntervalMs} ms, heartbeat ${idle.timers.heartbeatMs} ms; ${Math.round(idle.wallMs)} ms of wall time)`,
      `${idle.getsPerInstance.toFixed(1)} GET + ${idle.putsPerInstance.toFixed(1)} PUT per instance`,
    ],
    ['(c) cost per instance-day at list prices (GET $0.0004, PUT $0.005 per 1,000)', `$${figures.idleCostPerInstanceDayUsd.toFixed(5)}`],
  ];
  const counts = idle.counts.map((c) => [c.operation, c.keyPrefix, c.billing, String(c.count), (c.count / result.agents).toFixed(1)]);
  const targets = checks.map((c) => [c.pass === null ? 'n/a' : c.pass ? 'pass' : 'FAIL', c.name, c.value, c.limit]);
  return [
    ...formatTable(['figure', 'value'], rows),
    '',
    `S3 requests of the idle fleet over ${idle.minutes} minutes of its clock, counted by the S3 test server:`,
    ...formatTable(['operation', 'key prefix', 'billed as', 'fleet', 'per instance'], counts),
    '',
    ...formatTable(['result', 'target', 'value', 'limit'], targets),
    ...(result.load?.failures ?? []).map((f) => `failed request: ${f}`),
  ].join('\n');
}

/** The last line of the bench. */
export function fleetJson(result: FleetResult, figures: FleetFigures): string {
  return JSON.stringify({ bench: 'fleet', agents: result.agents, results: figures });
}
