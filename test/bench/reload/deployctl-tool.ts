import path from 'node:path';
import type { Release } from '../../../agent/cluster/managed-worker';
import { makeFixtureRelease } from '../../support/fixture-releases';
import type { RollOutcome, RunningApp, StartSpec, ToolVariant } from './app-under-test';
import { BOOT_MS, DEPLOYCTL_TIMINGS, REQUEST_MS } from './bench-config';
import { IpcChild } from './ipc-child';
import { asRecord, booleanField, nullableNumberField, numberField } from './ipc-protocol';

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 30_000;

/** A roll may take every slot's start timeout, the stability wait and a rollback. */
function rollTimeoutMs(workers: number): number {
  return 2 * workers * DEPLOYCTL_TIMINGS.startTimeoutMs + DEPLOYCTL_TIMINGS.stableMs + 30_000;
}

/** deployctl: a Supervisor in its own child process (deployctl-runner.ts). */
export function deployctlTool(maxSurge: number): ToolVariant {
  return { tool: 'deployctl', maxSurge, start: (spec) => startDeployctl(spec, maxSurge) };
}

async function startDeployctl(spec: StartSpec, maxSurge: number): Promise<RunningApp> {
  const releases = path.join(spec.workDir, 'releases');
  const fixture = { bootMs: BOOT_MS, requestMs: REQUEST_MS };
  const v1 = makeFixtureRelease(releases, 'v1', { ...fixture, mode: spec.scenario.oldMode });
  const v2 = makeFixtureRelease(releases, 'v2', { ...fixture, mode: spec.scenario.newMode });
  const runner = new IpcChild('deployctl runner', path.join(__dirname, 'deployctl-runner.js'));
  try {
    const args = { port: spec.port, workers: spec.workers, maxSurge, release: v1 };
    await runner.request('start', args, START_TIMEOUT_MS, `start ${spec.workers} workers of v1`);
  } catch (error: unknown) {
    await runner.close();
    throw error;
  }
  return {
    roll: () => roll(runner, v2, spec.workers),
    stop: async () => {
      try {
        await runner.request('stop', null, STOP_TIMEOUT_MS, 'stop its workers');
      } finally {
        await runner.close();
      }
    },
  };
}

async function roll(runner: IpcChild, v2: Release, workers: number): Promise<RollOutcome> {
  const what = 'roll result';
  const reply = asRecord(await runner.request('roll', { release: v2 }, rollTimeoutMs(workers), 'roll to v2'), what);
  const ok = booleanField(reply, 'ok', what);
  const rollMs = nullableNumberField(reply, 'rollMs', what);
  const durationMs = numberField(reply, 'durationMs', what);
  const failure = reply['failure'];
  const note =
    `ok=${ok} rollMs=${rollMs ?? 'null'} durationMs=${durationMs}` +
    (typeof failure === 'string' ? ` rolledBack=${String(reply['rolledBack'])} failure: ${failure.split('\n')[0]}` : '');
  return { rollMs, rssMb: numberField(reply, 'peakRssMb', what), note };
}
