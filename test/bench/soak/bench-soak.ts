/**
 * `npm run bench:soak`: deploys under continuous HTTP + WebSocket load on a
 * real deploy-agent process (soak-run.ts), then a table of the figures and
 * targets, and as the LAST line one JSON object. Exit 1 when a target fails.
 *
 *   SOAK_DEPLOYS=N   measured deploys (default 50), e.g. 4 for a smoke run
 */
import { cleanupAll } from '../reload/cleanup';
import { SOAK_DEFAULT_DEPLOYS, SOAK_WARMUP_DEPLOYS } from './soak-config';
import { soakChecks, soakJson, soakTable } from './soak-report';
import { runSoak } from './soak-run';

function deploysFromEnv(): number {
  const text = process.env['SOAK_DEPLOYS'];
  if (text === undefined || text === '') return SOAK_DEFAULT_DEPLOYS;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new Error(`SOAK_DEPLOYS must be a whole number 1-10000, not ${JSON.stringify(text)}`);
  return n;
}

async function main(): Promise<void> {
  const deploys = deploysFromEnv();
  const say = (line: string): void => void process.stderr.write(`soak: ${line}\n`);
  say(`${SOAK_WARMUP_DEPLOYS} warm-up deploys, then ${deploys} measured ones ("before" is sampled after the warm-up)`);
  const result = await runSoak({ deploys, warmupDeploys: SOAK_WARMUP_DEPLOYS, say });
  const checks = soakChecks(result);
  process.stdout.write(`${soakTable(result, checks)}\n`);
  process.stdout.write(`${soakJson(result)}\n`);
  process.exitCode = checks.every((c) => c.pass) ? 0 : 1;
}

main()
  .catch((error: unknown) => {
    process.stderr.write(`bench:soak failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  })
  .finally(() => cleanupAll());
