/** The socket.io scenarios of bench:reload alone (BENCH_WORKERS: first value, default 4; BENCH_PM2=0 leaves pm2 out). */
import { cleanupAll, cleanupOnSignals } from './cleanup';
import { progress } from './run-once';
import { runStickyScenarios, stickyTable } from './sticky-scenarios';

async function main(): Promise<void> {
  const workers = Number((process.env.BENCH_WORKERS ?? '4').split(',')[0]) || 4;
  const result = await runStickyScenarios(workers, process.env.BENCH_PM2 !== '0');
  process.stdout.write(`${stickyTable(result)}\n\n`);
  process.stdout.write(`${JSON.stringify({ bench: 'reload-sticky', results: result.rows, throughput: result.throughput, stickyThroughputRatio: result.stickyThroughputRatio })}\n`);
}

cleanupOnSignals();
main()
  .catch((error: unknown) => {
    progress(`sticky bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = 1;
  })
  .finally(() => cleanupAll());
