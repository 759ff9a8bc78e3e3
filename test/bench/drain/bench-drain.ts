/**
 * `npm run bench:drain`: one service-out deploy of one instance behind the
 * ELBv2 emulator (deregistration delay 30 s, health checks every 2 s, healthy
 * threshold 2), under HTTP load through the listener, in one run: the agent's
 * early drain (done when no connection is left open) against waiting for the
 * load balancer to report the target gone (loadBalancer.earlyDrain false).
 *
 * Progress goes to stderr; stdout gets a table and, as its last line, one JSON object.
 */
import { formatTable } from '../../../cli/output/text-table';
import { DEREGISTRATION_DELAY_S, HEALTH_CHECK_INTERVAL_MS, HEALTHY_THRESHOLD, runDrain, type DrainRun } from './drain-run';

/** The target: early drain at most this fraction of the full delay. */
const TARGET_RATIO = 0.25;

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  process.stderr.write(
    `bench:drain deregistrationDelayS=${DEREGISTRATION_DELAY_S} healthCheckIntervalMs=${HEALTH_CHECK_INTERVAL_MS} healthyThreshold=${HEALTHY_THRESHOLD}\n`,
  );
  const runs: DrainRun[] = [];
  for (const mode of ['early', 'full-delay'] as const) {
    const run = await runDrain(mode);
    process.stderr.write(`  ${mode}: deploy ${run.deployMs} ms, drain ${run.drainMs} ms (${run.drainEnd}), ${run.failedRequests}/${run.requests} failed ${run.failures.slice(0, 3).join('; ')}\n`);
    runs.push(run);
  }
  const early = runs.find((r) => r.mode === 'early');
  const full = runs.find((r) => r.mode === 'full-delay');
  const ratio = early && full ? early.deployMs / full.deployMs : NaN;
  const rows = runs.map((r) => [r.mode, String(r.deployMs), String(r.drainMs), r.drainEnd, String(r.requests), String(r.failedRequests)]);
  const table = formatTable(['mode', 'deployMs', 'drainMs', 'drainEnd', 'requests', 'failedRequests'], rows);
  const verdict = ratio <= TARGET_RATIO && runs.every((r) => r.failedRequests === 0) ? 'met' : 'NOT met';
  process.stdout.write(`${table.join('\n')}\n\nearly / full-delay = ${ratio.toFixed(3)} (target <= ${TARGET_RATIO} with zero failed requests: ${verdict})\n\n`);
  const json = {
    bench: 'drain',
    deregistrationDelayS: DEREGISTRATION_DELAY_S,
    results: runs.map((r) => ({ mode: r.mode, ms: r.deployMs, failedRequests: r.failedRequests })),
  };
  process.stdout.write(`${JSON.stringify(json)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:drain failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
