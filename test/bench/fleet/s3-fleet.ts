import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AgentTimers } from '../../../agent/status/request-cost';
import { runCli } from '../../support/cli-harness';
import { makeFixtureRelease, type FixtureReleaseOptions } from '../../support/fixture-releases';
import { freePort } from '../../support/free-port';
import { childProcesses, isGone, killIfRunning, type ProcessRef } from '../../support/process-tree';
import { startS3Server, type S3Server } from '../../support/s3-server';
import { servedVersion, spawnAgent, type SpawnedAgent } from '../../support/spawned-agent';
import { waitUntil, withTimeout } from '../../support/with-timeout';
import { FLEET_TIMEOUTS } from './fleet-config';

/** One instance: a real deploy-agent process with its own app port, instance id and disk. */
export interface FleetAgent {
  readonly id: string;
  readonly port: number;
  readonly configPath: string;
  agent: SpawnedAgent | undefined;
}

/**
 * `count` deploy-agent processes on one store in the S3 test server (bucket
 * `fleet`, prefix `app`), pushed to with the real `deployctl push` (in this
 * process, through the command table). Every process it starts is stopped by
 * `stop`, and the temp dir removed.
 */
export interface S3Fleet {
  readonly s3: S3Server;
  readonly bucket: string;
  readonly storePrefix: string;
  readonly agents: readonly FleetAgent[];
  /**
   * Starts every agent, with these timers (undefined: the defaults), one every
   * `staggerMs` (instances of a real fleet do not start, and so do not poll, in
   * step), and waits until each serves `version`.
   */
  startAgents(timers: AgentTimers | undefined, version: string, staggerMs: number): Promise<void>;
  /** SIGTERM to every agent; waits for each to exit (and its workers to be gone). */
  stopAgents(): Promise<void>;
  /**
   * `deployctl push <version> --dir <fixture> [flags]`; resolves with when its
   * desired.json write reached the store (the moment the push takes effect).
   */
  push(version: string, options?: { readonly fixture?: FixtureReleaseOptions; readonly flags?: readonly string[] }): Promise<{ desiredAt: number }>;
  /** Resolves once every agent's app port answers with `version`. */
  waitServing(version: string, timeoutMs: number): Promise<void>;
  /** Stops the agents and the S3 server, removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

export async function startS3Fleet(count: number): Promise<S3Fleet> {
  const work = mkdtempSync(path.join(tmpdir(), 'deployctl-bench-fleet-'));
  const s3 = await startS3Server();
  const bucket = 'fleet';
  const storePrefix = 'app';
  const store = `s3://${bucket}/${storePrefix}`;
  const cliEnv = { DEPLOYCTL_S3_ENDPOINT: s3.endpoint, DEPLOYCTL_S3_FORCE_PATH_STYLE: '1', AWS_REGION: 'us-east-1', DEPLOYCTL_CREATED_BY: 'bench@fleet' };
  const agentEnv = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_EC2_METADATA_DISABLED: 'true', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
  const agents: FleetAgent[] = [];
  let stopping: Promise<void> | undefined;
  const stopAgents = async (): Promise<void> => {
    // Their workers at this moment: none may outlive the fleet, even if an agent must be SIGKILLed.
    const workers: ProcessRef[] = agents.flatMap((a) => (a.agent?.child.pid === undefined ? [] : childProcesses(a.agent.child.pid)));
    for (const a of agents) a.agent?.kill('SIGTERM');
    await Promise.all(
      agents.map(async (a) => {
        const running = a.agent;
        if (!running) return;
        await withTimeout(running.exited, FLEET_TIMEOUTS.agentStopMs, `agent ${a.id} to stop after SIGTERM`).catch(async () => {
          running.kill('SIGKILL');
          await withTimeout(running.exited, 10_000, `agent ${a.id} to exit after SIGKILL`);
        });
        a.agent = undefined;
      }),
    );
    await waitUntil(() => workers.every(isGone), 10_000, 'the workers of the stopped agents to exit').catch(() => workers.forEach(killIfRunning));
  };

  const waitServing = async (version: string, timeoutMs: number): Promise<void> => {
    const pending = new Set(agents);
    await waitUntil(
      async () => {
        const answers = await Promise.all([...pending].map(async (a) => [a, await servedVersion(a.port)] as const));
        for (const [a, served] of answers) if (served === version) pending.delete(a);
        return pending.size === 0;
      },
      timeoutMs,
      `every agent to serve ${version}`,
      100,
    );
  };

  try {
    await s3.bucket(bucket);
    for (let i = 1; i <= count; i += 1) {
      const id = `i-f1ee7${String(i).padStart(3, '0')}`;
      agents.push({ id, port: await freePort(), configPath: path.join(work, `agent-${i}.json`), agent: undefined });
    }
  } catch (error) {
    await s3.stop();
    rmSync(work, { recursive: true, force: true });
    throw error;
  }

  return {
    s3,
    bucket,
    storePrefix,
    agents,
    async startAgents(timers, version, staggerMs) {
      for (const [i, a] of agents.entries()) {
        const config = {
          store,
          s3: s3.options,
          instanceId: a.id,
          releasesDir: path.join(work, `agent-${i + 1}`),
          control: { socket: path.join(work, `agent-${i + 1}.sock`) },
          ...(timers ?? {}),
          app: { port: a.port, workers: 1, stableMs: 300, idleGraceMs: 200, wsCloseWindowMs: 300 },
        };
        writeFileSync(a.configPath, JSON.stringify(config, null, 2));
        if (i > 0) await sleep(staggerMs);
        a.agent = spawnAgent(a.configPath, agentEnv);
      }
      await waitServing(version, FLEET_TIMEOUTS.firstServeMs);
    },
    stopAgents,
    async push(version, options = {}) {
      const dir = makeFixtureRelease(path.join(work, 'src'), version, { bootMs: 100, ...options.fixture }).dir;
      const before = s3.requests.length;
      const run = await runCli(['push', version, '--dir', dir, '--store', store, ...(options.flags ?? [])], { cwd: work, env: cliEnv, timeoutMs: FLEET_TIMEOUTS.pushMs });
      if (run.code !== 0) throw new Error(`deployctl push ${version} exited ${run.code}: ${run.stderr.trim()}`);
      const write = s3.requests.slice(before).find((r) => r.operation === 'PutObject' && r.key === `${storePrefix}/desired.json` && r.status === 200);
      if (!write) throw new Error(`deployctl push ${version} succeeded but the S3 test server saw no desired.json write`);
      return { desiredAt: write.at };
    },
    waitServing,
    stop() {
      stopping ??= (async () => {
        await stopAgents();
        await s3.stop();
        rmSync(work, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
