import { agentDefaults } from '../config/defaults';
import { DeployError } from '../errors';
import {
  IDLE_COST_BUDGET_USD_PER_DAY,
  PICKUP_P50_TARGET_MS,
  idleRequestCost,
  pickupP50Ms,
  type AgentTimers,
} from './request-cost';

/**
 * The README's table of what an idle fleet costs in S3 requests against the
 * poll and heartbeat intervals, computed from request-cost.ts and the defaults
 * in defaults.ts. `npm run docs:config` writes it between the markers; a unit
 * test fails while the README differs.
 */
export const REQUEST_COST_START = '<!-- request-cost:start -->';
export const REQUEST_COST_END = '<!-- request-cost:end -->';

/** Intervals shown beside the defaults: the defaults before issue #13, and the range around today's. */
const SHOWN: readonly AgentTimers[] = [
  { pollIntervalMs: 5_000, heartbeatMs: 30_000 },
  { pollIntervalMs: 5_000, heartbeatMs: 300_000 },
  { pollIntervalMs: 10_000, heartbeatMs: 300_000 },
  { pollIntervalMs: 20_000, heartbeatMs: 300_000 },
  { pollIntervalMs: 30_000, heartbeatMs: 300_000 },
  { pollIntervalMs: 60_000, heartbeatMs: 300_000 },
  { pollIntervalMs: 15_000, heartbeatMs: 60_000 },
  { pollIntervalMs: 15_000, heartbeatMs: 900_000 },
];

const FLEET = 1_000;
const MONTH_DAYS = 30;

/** The rows, sorted by poll interval then heartbeat; the defaults once, marked. */
export function requestCostRows(defaults: AgentTimers = agentDefaults): string[] {
  const same = (a: AgentTimers, b: AgentTimers): boolean => a.pollIntervalMs === b.pollIntervalMs && a.heartbeatMs === b.heartbeatMs;
  const all = [defaults, ...SHOWN.filter((t) => !same(t, defaults))].sort((a, b) => a.pollIntervalMs - b.pollIntervalMs || a.heartbeatMs - b.heartbeatMs);
  return all.map((timers) => {
    const cost = idleRequestCost(timers);
    const pickup = pickupP50Ms(timers.pollIntervalMs);
    const fits = cost.usdPerDay <= IDLE_COST_BUDGET_USD_PER_DAY && pickup <= PICKUP_P50_TARGET_MS;
    const cells = [
      `${seconds(timers.pollIntervalMs)}${same(timers, defaults) ? ' (default)' : ''}`,
      seconds(timers.heartbeatMs),
      count(cost.getsPerDay),
      count(cost.putsPerDay),
      `$${cost.usdPerDay.toFixed(4)}`,
      `$${count(cost.usdPerDay * FLEET * MONTH_DAYS)}`,
      seconds(pickup),
      fits ? 'yes' : 'no',
    ];
    return `| ${cells.join(' | ')} |`;
  });
}

/** The markdown table, framed by the markers. */
export function requestCostMarkdown(defaults: AgentTimers = agentDefaults): string {
  return [
    REQUEST_COST_START,
    '<!-- generated from agent/status/request-cost.ts and defaults.ts by `npm run docs:config`: edit those, not this table -->',
    '| `pollIntervalMs` | `heartbeatMs` | GETs / day | PUTs / day | USD / instance-day | USD / month, 1,000 instances | pickup p50 | within targets |',
    '|---|---|---|---|---|---|---|---|',
    ...requestCostRows(defaults),
    REQUEST_COST_END,
  ].join('\n');
}

/** `readme` with the text between (and including) the markers replaced by the generated table. */
export function withRequestCostTable(readme: string): string {
  const start = readme.indexOf(REQUEST_COST_START);
  const end = readme.indexOf(REQUEST_COST_END);
  if (start < 0 || end < start) {
    throw new DeployError('DOCS_MARKERS_MISSING', `the README needs ${REQUEST_COST_START} and then ${REQUEST_COST_END} where the request cost table goes`);
  }
  return `${readme.slice(0, start)}${requestCostMarkdown()}${readme.slice(end + REQUEST_COST_END.length)}`;
}

/** The table as it stands in `readme` now (markers included), or undefined without markers. */
export function currentRequestCostTable(readme: string): string | undefined {
  const start = readme.indexOf(REQUEST_COST_START);
  const end = readme.indexOf(REQUEST_COST_END);
  return start < 0 || end < start ? undefined : readme.slice(start, end + REQUEST_COST_END.length);
}

function seconds(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Number((ms / 1000).toFixed(1))} s`;
}

function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
