import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_PRIVATE_NAME } from '../../../cli/commands/keygen';
import { readInstanceReport, reportsLive } from '../../support/agent-harness';
import { makeFixtureRelease, repoRoot } from '../../support/fixture-releases';
import { freePort } from '../../support/free-port';
import { startLoad, type LoadHandle } from '../../support/load/load-client';
import { servedVersion, spawnAgent, type SpawnedAgent } from '../../support/spawned-agent';
import { waitUntil, withTimeout } from '../../support/with-timeout';
import { runProcess } from '../artifact/run-process';
import { childPids, sampleSettled, type ProcessSample } from './agent-process-sample';
import { SOAK_AGENT, SOAK_BUILDS, SOAK_LOAD, SOAK_TIMEOUTS } from './soak-config';

export interface SoakOptions {
  /** Measured deploys. */
  readonly deploys: number;
  /** Deploys before "before" is sampled (not measured). */
  readonly warmupDeploys: number;
  /** Progress lines (stderr in the bench). */
  readonly say: (line: string) => void;
}

export interface SoakResult {
  /** Measured deploys that ran (succeeded or not). */
  readonly deploys: number;
  /** One line per deploy that did not go live (the CLI's reason). */
  readonly failedDeploys: readonly string[];
  /** From the whole run: first deploy of the load to the end. */
  readonly requests: number;
  readonly failedRequests: number;
  readonly failures: readonly string[];
  readonly wsConnects: number;
  readonly abnormalWsCloses: number;
  readonly wsFailures: readonly string[];
  /** The agent process, sampled when quiet (old workers gone) after the warm-up and after the last deploy. */
  readonly before: ProcessSample;
  readonly after: ProcessSample;
  /** lastDeploy.durationMs from the agent's status report, per measured deploy that succeeded. */
  readonly deployMs: readonly number[];
  /** The agent's exit after SIGTERM. */
  readonly agentExit: { code: number | null; signal: NodeJS.Signals | null };
}

const cli = (): string => path.join(repoRoot(), 'dist', 'cli', 'main.js');

/**
 * Runs the soak: push v0, start a real deploy-agent (trusting one key) on a
 * local store, keep HTTP + WebSocket load on it, then deploy warm-up + measured
 * versions one after the other with `deployctl push --sign-key --wait`, each
 * deploy waiting until every WebSocket client has moved to the new version.
 * Everything it starts is stopped, and its temp dir removed, however it ends.
 */
export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const work = mkdtempSync(path.join(tmpdir(), 'deployctl-soak-'));
  const store = path.join(work, 'store');
  let agent: SpawnedAgent | undefined;
  let load: LoadHandle | undefined;
  try {
    const keys = await keygen(work);
    const builds = SOAK_BUILDS.map((b) => makeFixtureRelease(path.join(work, 'src'), b.name, b.options).dir);
    const port = await freePort();
    let pushed = 0;
    const push = async (): Promise<string> => {
      const version = `s${String(pushed).padStart(3, '0')}`;
      const dir = builds[pushed % builds.length] ?? '';
      pushed += 1;
      const wait = pushed > 1 ? ['--wait', '--timeout', `${SOAK_TIMEOUTS.pushWaitMs}ms`] : [];
      await runProcess(process.execPath, [cli(), 'push', version, '--dir', dir, '--store', store, '--sign-key', keys.privateFile, ...wait], {
        label: `deployctl push ${version}`,
        env: { ...process.env, DEPLOYCTL_CREATED_BY: 'bench@soak' },
        timeoutMs: SOAK_TIMEOUTS.pushWaitMs + 30_000,
      });
      return version;
    };

    const first = await push();
    const configPath = path.join(work, 'agent.json');
    writeFileSync(
      configPath,
      JSON.stringify({ ...SOAK_AGENT, store, releasesDir: path.join(work, 'agent'), trustedKeys: [keys.trustedKey], control: { socket: path.join(work, 'agent.sock') }, app: { ...SOAK_AGENT.app, port } }),
    );
    agent = spawnAgent(configPath);
    const pid = agent.child.pid;
    if (pid === undefined) throw new Error('deploy-agent did not start');
    await waitUntil(async () => (await servedVersion(port)) === first, SOAK_TIMEOUTS.firstServeMs, `the agent to serve ${first}`);
    options.say(`agent pid ${pid} serves ${first} on 127.0.0.1:${port}; starting load`);
    const running = startLoad({ port, ...SOAK_LOAD });
    load = running;
    await clientsOn(running, first);

    const deployOnce = async (label: string): Promise<{ ms?: number; failure?: string }> => {
      let version = '';
      try {
        version = await push();
      } catch (error) {
        return { failure: `${label}: ${(error as Error).message.split('\n')[0] ?? ''}` };
      }
      const last = readInstanceReport(store, SOAK_AGENT.instanceId)?.lastDeploy;
      if (last?.version !== version || last.result !== 'succeeded') return { failure: `${label} ${version}: ${last?.result ?? 'no report'} ${last?.error ?? ''}` };
      await clientsOn(running, version);
      options.say(`${label} ${version}: live in ${last.durationMs} ms`);
      return { ms: last.durationMs };
    };

    for (let i = 1; i <= options.warmupDeploys; i += 1) {
      const warm = await deployOnce(`warm-up ${i}/${options.warmupDeploys}`);
      if (warm.failure) throw new Error(`warm-up deploy failed: ${warm.failure}`);
    }
    const before = await quietSample(pid, store);
    options.say(`before: rss ${before.rssMb.toFixed(1)} MB, ${before.fds} fds`);

    const deployMs: number[] = [];
    const failedDeploys: string[] = [];
    for (let i = 1; i <= options.deploys; i += 1) {
      const outcome = await deployOnce(`deploy ${i}/${options.deploys}`);
      if (outcome.ms !== undefined) deployMs.push(outcome.ms);
      if (outcome.failure) {
        failedDeploys.push(outcome.failure);
        options.say(outcome.failure);
      }
    }
    const after = await quietSample(pid, store);
    options.say(`after: rss ${after.rssMb.toFixed(1)} MB, ${after.fds} fds`);

    const report = await running.stop();
    load = undefined;
    const stopping = agent;
    agent = undefined;
    stopping.kill('SIGTERM');
    const agentExit = await withTimeout(stopping.exited, SOAK_TIMEOUTS.agentStopMs, 'deploy-agent to stop after SIGTERM');
    return {
      deploys: options.deploys,
      failedDeploys,
      requests: report.requests,
      failedRequests: report.failedRequests,
      failures: report.failures,
      wsConnects: report.wsConnects,
      abnormalWsCloses: report.abnormalWsCloses,
      wsFailures: report.wsFailures,
      before,
      after,
      deployMs,
      agentExit,
    };
  } finally {
    await load?.stop();
    if (agent) {
      agent.kill('SIGKILL');
      await withTimeout(agent.exited, 10_000, 'the killed agent to exit').catch(() => undefined);
    }
    rmSync(work, { recursive: true, force: true });
  }
}

async function keygen(work: string): Promise<{ privateFile: string; trustedKey: string }> {
  const dir = path.join(work, 'keys');
  const run = await runProcess(process.execPath, [cli(), 'keygen', '--out', dir, '--json'], { label: 'deployctl keygen', timeoutMs: 30_000 });
  const result = JSON.parse(run.stdout) as { trustedKey: string };
  return { privateFile: path.join(dir, DEFAULT_PRIVATE_NAME), trustedKey: result.trustedKey };
}

/** Every WebSocket client reconnected to `version`, and HTTP answered by it. */
function clientsOn(load: LoadHandle, version: string): Promise<void> {
  return load.waitFor(
    (r) => r.wsVersionsAtEnd[version] === SOAK_LOAD.wsClients && (r.versions[version] ?? 0) > 0,
    SOAK_TIMEOUTS.clientsMoveMs,
    `every WebSocket client and HTTP on ${version}`,
  );
}

/** Samples the agent once it is quiet: the report says live, and only the configured workers are left (retired ones exited). */
async function quietSample(pid: number, store: string): Promise<ProcessSample> {
  await waitUntil(
    () => {
      const report = readInstanceReport(store, SOAK_AGENT.instanceId);
      return report?.running !== null && report?.running !== undefined && reportsLive(report, report.running) && childPids(pid).length === SOAK_AGENT.app.workers;
    },
    SOAK_TIMEOUTS.quiesceMs,
    `the agent to be quiet (live, ${SOAK_AGENT.app.workers} workers, retired ones gone)`,
    100,
  );
  return sampleSettled(pid);
}
