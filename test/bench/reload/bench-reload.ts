/**
 * `npm run bench:reload`: deployctl's rolling reload against `pm2 reload` on
 * the same fixture app and load, 2 and 4 workers: three scenarios for both
 * tools, and three more for pm2 alone (a careful pm2 user's graceful set-ups).
 *
 * Progress goes to stderr; stdout gets the results table, the targets table
 * and, as its last line, one JSON object (see README of the issue / targets.ts).
 * BENCH_RUNS (default 3), BENCH_WORKERS (default "2,4") and BENCH_SCENARIOS
 * (default: all) make quick runs possible.
 */
import type { ToolVariant } from './app-under-test';
import { BOOT_MS, readSettings, type Scenario } from './bench-config';
import { cleanupAll, cleanupOnSignals, isSignalled } from './cleanup';
import { deployctlTool } from './deployctl-tool';
import { measureForkToListening } from './fork-to-listening';
import { errorMessage } from './ipc-protocol';
import { pm2Tool } from './pm2-tool';
import { resultsTable, targetsTable } from './report-table';
import { aggregateRuns, type ResultRow } from './result-row';
import { progress, runOnce, type RunResult } from './run-once';
import { round } from './stats-math';
import { computeTargets } from './targets';

/**
 * deployctl one worker at a time, two at a time (like pm2's reload, which
 * replaces two workers at once) from 3 workers up, and all at once; then pm2.
 * A scenario that names one tool runs only that tool.
 */
function variantsFor(workers: number, scenario: Scenario): ToolVariant[] {
  const variants = [deployctlTool(1)];
  if (workers > 2) variants.push(deployctlTool(2));
  if (workers > 1) variants.push(deployctlTool(workers));
  variants.push(pm2Tool);
  return variants.filter((v) => scenario.only === undefined || v.tool === scenario.only);
}

function describeRun(run: RunResult): string {
  const r = run.report;
  const failures = r.failures.length > 0 ? ` failures: ${[...new Set(r.failures)].slice(0, 4).join('; ')}` : '';
  const wsFailures = r.wsFailures.length > 0 ? ` ws: ${[...new Set(r.wsFailures)].slice(0, 4).join('; ')}` : '';
  return (
    `    requests=${r.requests} failed=${r.failedRequests} p99=${r.latencyP99Ms}ms wsCloses/client=${r.wsClosesPerClient.toFixed(2)} ` +
    `abnormalWs=${r.abnormalWsCloses} wsAtEnd=${JSON.stringify(r.wsVersionsAtEnd)} settled=${run.settled} rss=${run.rssMb.toFixed(1)}MB` +
    failures +
    wsFailures
  );
}

async function main(): Promise<void> {
  const settings = readSettings();
  const started = Date.now();
  progress(`bench:reload runs=${settings.runs} workers=${settings.workers.join(',')} scenarios=${settings.scenarios.map((s) => s.name).join(',')} bootMs=${BOOT_MS}`);

  const fork = await measureForkToListening();
  const forkToListeningMs = round(fork.medianMs, 1);
  progress(`forkToListeningMs=${forkToListeningMs} (samples ${JSON.stringify(fork.samplesMs)})`);

  const rows: ResultRow[] = [];
  for (const workers of settings.workers) {
    for (const scenario of settings.scenarios) {
      for (const variant of variantsFor(workers, scenario)) {
        const runs: RunResult[] = [];
        for (let i = 1; i <= settings.runs; i += 1) {
          progress(`  ${variant.tool} maxSurge=${variant.maxSurge} ${scenario.name} workers=${workers} run ${i}/${settings.runs}`);
          const run = await runOnce(variant, scenario, workers);
          progress(describeRun(run));
          runs.push(run);
        }
        rows.push(aggregateRuns({ tool: variant.tool, scenario: scenario.name, workers, maxSurge: variant.maxSurge }, runs));
      }
    }
  }

  const targets = computeTargets(rows, forkToListeningMs);
  progress(`bench:reload done in ${Math.round((Date.now() - started) / 1000)} s`);
  process.stdout.write(`${resultsTable(rows)}\n\n${targetsTable(targets)}\n\n`);
  const json = { bench: 'reload', bootMs: BOOT_MS, forkToListeningMs, results: rows, targets };
  process.stdout.write(`${JSON.stringify(json)}\n`);
}

cleanupOnSignals();
main()
  .catch((error: unknown) => {
    if (isSignalled()) return;
    progress(`bench:reload failed: ${error instanceof Error ? (error.stack ?? error.message) : errorMessage(error)}`);
    process.exitCode = 1;
  })
  .finally(() => cleanupAll());
