/**
 * `npm run bench:fleet` (issue #13, item 5): 8 real deploy-agent processes on
 * the S3 test server (fleet-run.ts); a table of the figures and targets, and
 * as the LAST line one JSON object. Exit 1 when a target fails or was not
 * measured.
 */
import { cleanupAll, cleanupOnSignals, onCleanup } from '../reload/cleanup';
import { FLEET_AGENTS, FLEET_IDLE_MINUTES, FLEET_IDLE_SCALE, FLEET_PICKUP_PUSHES } from './fleet-config';
import { fleetChecks, fleetFigures, fleetJson, fleetTable } from './fleet-report';
import { runFleet } from './fleet-run';

async function main(): Promise<void> {
  cleanupOnSignals();
  const say = (line: string): void => void process.stderr.write(`fleet: ${line}\n`);
  const result = await runFleet({
    agents: FLEET_AGENTS,
    idleMinutes: FLEET_IDLE_MINUTES,
    idleScale: FLEET_IDLE_SCALE,
    goodPushes: FLEET_PICKUP_PUSHES,
    policy: true,
    say,
    onStarted: (stop) => void onCleanup('the fleet (agents, S3 test server)', stop),
  });
  const figures = fleetFigures(result);
  const checks = fleetChecks(figures);
  process.stdout.write(`${fleetTable(result, figures, checks)}\n`);
  process.stdout.write(`${fleetJson(result, figures)}\n`);
  const unmeasured = checks.filter((c) => c.pass === null).map((c) => c.name);
  if (unmeasured.length > 0) say(`not measured: ${unmeasured.join(', ')} (${result.policyNote ?? ''})`);
  process.exitCode = checks.every((c) => c.pass === true) ? 0 : 1;
}

main()
  .catch((error: unknown) => {
    process.stderr.write(`bench:fleet failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  })
  .finally(() => cleanupAll());
