import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { LoadReport } from '../../support/load/load-client';
import { freePort } from '../../support/free-port';
import type { RunningApp, ToolVariant } from './app-under-test';
import { LOAD, SETTLE_MS, WARM_UP_TIMEOUT_MS, type Scenario } from './bench-config';
import { onCleanup } from './cleanup';
import { errorMessage } from './ipc-protocol';
import { LoadRunnerClient } from './load-runner-client';

/** What one run of one tool on one scenario measured. */
export interface RunResult {
  readonly rollMs: number | null;
  readonly rssMb: number;
  readonly report: LoadReport;
  /** Every WebSocket client reported v2 within SETTLE_MS after the roll. */
  readonly settled: boolean;
}

const count = (counts: Readonly<Record<string, number>>, key: string): number => counts[key] ?? 0;

/**
 * One run: the app on v1 under `variant`, the load from its own process until
 * it sees v1 everywhere, counters reset, roll to v2, wait for the WebSocket
 * clients to settle (all on v2, or SETTLE_MS), stop the load, take its report.
 * Everything it started is stopped before it returns or throws.
 */
export async function runOnce(variant: ToolVariant, scenario: Scenario, workers: number): Promise<RunResult> {
  const workDir = mkdtempSync(path.join(tmpdir(), 'deployctl-bench-'));
  const unregisterDir = onCleanup(`temp dir ${workDir}`, async () => removeDir(workDir));
  let app: RunningApp | undefined;
  let load: LoadRunnerClient | undefined;
  try {
    const port = await freePort();
    app = await variant.start({ port, workers, scenario, workDir });
    load = await LoadRunnerClient.start(port);
    await load.waitFor(
      (r) => count(r.versions, 'v1') > 0 && count(r.wsVersionsAtEnd, 'v1') === LOAD.wsClients,
      WARM_UP_TIMEOUT_MS,
      `the load to see v1 on HTTP and all ${LOAD.wsClients} WebSocket clients connected to v1`,
    );
    await load.reset();
    const roll = await app.roll();
    progress(`    roll: ${roll.note}`);
    const settled = await load
      .waitFor((r) => count(r.wsVersionsAtEnd, 'v2') === LOAD.wsClients, SETTLE_MS, `all ${LOAD.wsClients} WebSocket clients on v2`)
      .then(
        () => true,
        () => false,
      );
    const report = await load.stop();
    return { rollMs: roll.rollMs, rssMb: roll.rssMb, report, settled };
  } finally {
    await stopQuietly('load runner', load?.close());
    await stopQuietly(`${variant.tool} app`, app?.stop());
    unregisterDir();
    removeDir(workDir);
  }
}

async function stopQuietly(what: string, stopping: Promise<void> | undefined): Promise<void> {
  try {
    await stopping;
  } catch (error: unknown) {
    progress(`    stopping ${what} failed: ${errorMessage(error)}`);
  }
}

function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}
