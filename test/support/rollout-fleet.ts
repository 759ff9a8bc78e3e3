import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AgentConfigFile } from '../../agent/config/config-file';
import { runCli, type CliRun } from './cli-harness';
import { makeFixtureRelease, type FixtureReleaseOptions } from './fixture-releases';
import { freePort } from './free-port';
import { childProcesses, isGone, killIfRunning, type ProcessRef } from './process-tree';
import type { S3Server } from './s3-server';
import { spawnAgent, type SpawnedAgent } from './spawned-agent';
import { waitUntil, withTimeout } from './with-timeout';

/** One instance of the fleet: its id, app port, config and (while it runs) its agent process. */
export interface FleetInstance {
  readonly id: string;
  readonly port: number;
  readonly configPath: string;
  agent: SpawnedAgent | undefined;
  /** The log lines of the agents it ran before the current one (restart). */
  earlierLogs?: Record<string, unknown>[];
}

/**
 * Real deploy-agent processes (compiled) sharing one S3 store on the S3 test
 * server, each with its own app port, releases dir and control socket: a fleet
 * for the rollout end-to-end tests. Instances can join late and be SIGKILLed.
 */
export interface RolloutFleet {
  readonly storeUrl: string;
  readonly instances: FleetInstance[];
  /** `deployctl <args> --store <store>` with the S3 test server's environment. */
  cli(...args: string[]): Promise<CliRun>;
  /** `deployctl push <version> --dir <fixture release> <flags>`. */
  push(version: string, flags?: readonly string[], options?: FixtureReleaseOptions): Promise<CliRun>;
  /** Adds an instance (config, disk) and starts its agent. */
  add(): Promise<FleetInstance>;
  /** SIGKILLs an instance's agent (its workers leave with it, or are killed at stop). */
  kill(instance: FleetInstance): Promise<void>;
  /** Starts the agent of an instance again, on its config and disk. */
  restart(instance: FleetInstance): void;
  /** Whether the instance's agent process has exited. */
  isDown(instance: FleetInstance): boolean;
  /** Every log line of every agent, with its instance id, in time order. */
  log(): (Record<string, unknown> & { instance: string })[];
  stop(): Promise<void>;
}

const S3_TEST_ENV = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
let buckets = 0;

export async function startRolloutFleet(s3: S3Server, size: number, overrides: Partial<AgentConfigFile> = {}): Promise<RolloutFleet> {
  const work = mkdtempSync(path.join(tmpdir(), 'deployctl-rollout-fleet-'));
  const bucket = `rollouts-${process.pid}-${++buckets}`;
  await s3.bucket(bucket);
  const storeUrl = `s3://${bucket}/app`;
  const cliEnv = { DEPLOYCTL_S3_ENDPOINT: s3.endpoint, DEPLOYCTL_S3_FORCE_PATH_STYLE: '1', AWS_REGION: 'us-east-1', ...S3_TEST_ENV };
  const instances: FleetInstance[] = [];
  const orphans: ProcessRef[] = [];

  const add = async (): Promise<FleetInstance> => {
    const id = `i-${instances.length}`;
    const dir = path.join(work, id);
    mkdirSync(path.join(dir, 'agent'), { recursive: true });
    const port = await freePort();
    const configPath = path.join(dir, 'agent.json');
    const config: AgentConfigFile = {
      store: storeUrl,
      s3: s3.options,
      releasesDir: path.join(dir, 'agent'),
      control: { socket: path.join(dir, 'agent.sock') },
      instanceId: id,
      pollIntervalMs: 300,
      heartbeatMs: 1000,
      ...overrides,
      app: { port, workers: 2, stableMs: 300, wsCloseWindowMs: 200, idleGraceMs: 200 },
    };
    writeFileSync(configPath, JSON.stringify(config, null, 2));
    const instance: FleetInstance = { id, port, configPath, agent: spawnAgent(configPath, S3_TEST_ENV) };
    instances.push(instance);
    return instance;
  };

  const kill = async (instance: FleetInstance): Promise<void> => {
    const agent = instance.agent;
    if (!agent) return;
    const pid = agent.child.pid;
    orphans.push(...(pid === undefined ? [] : childProcesses(pid)));
    agent.kill('SIGKILL');
    await withTimeout(agent.exited, 10_000, `the agent of ${instance.id} to exit after SIGKILL`);
  };

  const cli = (...args: string[]) => runCli([...args, '--store', storeUrl], { cwd: work, env: cliEnv });
  for (let i = 0; i < size; i++) await add();
  return {
    storeUrl,
    instances,
    cli,
    push: (version, flags = [], options = {}) => cli('push', version, '--dir', makeFixtureRelease(path.join(work, 'src'), version, { bootMs: 0, ...options }).dir, ...flags),
    add,
    kill,
    restart(instance) {
      instance.earlierLogs = [...(instance.earlierLogs ?? []), ...(instance.agent?.logs ?? [])];
      instance.agent = spawnAgent(instance.configPath, S3_TEST_ENV);
    },
    isDown: (instance) => instance.agent === undefined || instance.agent.child.exitCode !== null || instance.agent.child.signalCode !== null,
    log: () =>
      instances
        .flatMap((i) => [...(i.earlierLogs ?? []), ...(i.agent?.logs ?? [])].map((l): Record<string, unknown> & { instance: string } => ({ ...l, instance: i.id })))
        .sort((a, b) => String(a.time).localeCompare(String(b.time))),
    async stop() {
      await Promise.all(
        instances.map(async (instance) => {
          const agent = instance.agent;
          if (!agent || agent.child.exitCode !== null || agent.child.signalCode !== null) return;
          agent.kill('SIGTERM');
          await withTimeout(agent.exited, 30_000, `the agent of ${instance.id} to stop`).catch(() => kill(instance));
        }),
      );
      await waitUntil(() => orphans.every(isGone), 10_000, 'the workers of killed agents to exit').catch(() => orphans.forEach(killIfRunning));
      rmSync(work, { recursive: true, force: true });
    },
  };
}
