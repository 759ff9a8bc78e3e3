import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fixtureAppPath, type FixtureMode } from '../../support/fixture-releases';
import type { RollOutcome, RunningApp, StartSpec, ToolVariant } from './app-under-test';
import { BOOT_MS, REQUEST_MS, WS_CLOSE_WINDOW_MS, type Pm2Settings } from './bench-config';
import { PeakRss, procRss } from './peak-rss';
import { Pm2Cli } from './pm2-cli';

const START_TIMEOUT_MS = 30_000;
const RELOAD_TIMEOUT_MS = 120_000;

/**
 * pm2 in cluster mode with its defaults (listen_timeout, kill_timeout), or
 * the scenario's settings (`scenario.pm2`); rolls with `pm2 reload`.
 */
export const pm2Tool: ToolVariant = { tool: 'pm2', maxSurge: 1, start: startPm2 };

function appEnv(spec: StartSpec, version: string, mode: FixtureMode): Record<string, string> {
  return {
    PORT: String(spec.port),
    APP_VERSION: version,
    FIXTURE_MODE: mode,
    FIXTURE_BOOT_MS: String(BOOT_MS),
    FIXTURE_REQUEST_MS: String(REQUEST_MS),
    DEPLOYCTL_WS_CLOSE_WINDOW_MS: String(WS_CLOSE_WINDOW_MS),
  };
}

/** The `pm2 start` flags of a scenario's pm2 settings. */
export function pm2Flags(settings: Pm2Settings = {}): string[] {
  const flags: string[] = [];
  if (settings.waitReady) flags.push('--wait-ready');
  if (settings.killTimeoutMs !== undefined) flags.push('--kill-timeout', String(settings.killTimeoutMs));
  if (settings.shutdownWithMessage) flags.push('--shutdown-with-message');
  return flags;
}

async function startPm2(spec: StartSpec): Promise<RunningApp> {
  const home = path.join(spec.workDir, 'pm2-home');
  const cwd = path.join(spec.workDir, 'pm2-cwd'); // empty: no fixture.json, the env decides
  mkdirSync(home, { recursive: true });
  mkdirSync(cwd, { recursive: true });
  const pm2 = new Pm2Cli(home);
  let cliMs: number;
  try {
    const args = ['start', fixtureAppPath(), '-i', String(spec.workers), '--name', 'bench', '--cwd', cwd, ...pm2Flags(spec.scenario.pm2)];
    await pm2.run(args, appEnv(spec, 'v1', spec.scenario.oldMode), START_TIMEOUT_MS);
    if (pm2.daemonPid() === undefined) throw new Error(`pm2 started but wrote no pid to ${home}/pm2.pid`);
    // For the log: what any pm2 command costs (CLI start-up + a round trip to the daemon).
    cliMs = Math.round((await pm2.run(['pid', 'bench'], {}, START_TIMEOUT_MS)).ms);
  } catch (error: unknown) {
    await pm2.kill();
    throw error;
  }
  return { roll: () => roll(pm2, spec, cliMs), stop: () => pm2.kill() };
}

async function roll(pm2: Pm2Cli, spec: StartSpec, cliMs: number): Promise<RollOutcome> {
  const pid = pm2.daemonPid();
  if (pid === undefined) throw new Error('no pm2 daemon pid');
  const rss = new PeakRss(procRss(pid)).start();
  try {
    const result = await pm2.run(['reload', 'bench', '--update-env'], appEnv(spec, 'v2', spec.scenario.newMode), RELOAD_TIMEOUT_MS);
    const rollMs = Math.round(result.ms);
    return { rollMs, rssMb: rss.peakMb(), note: `pm2 reload took ${rollMs} ms (a no-op pm2 command: ${cliMs} ms)` };
  } catch (error: unknown) {
    // A reload that fails is a roll that did not complete, not a bench failure.
    const first = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return { rollMs: null, rssMb: rss.peakMb(), note: `pm2 reload failed: ${first}` };
  } finally {
    rss.stop();
  }
}
