import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { runCli, type CliRun } from './cli-harness';
import { elbv2Client } from './elbv2/elbv2-client';
import { createElbv2Emulator, type Elbv2Emulator, type TargetGroupOptions } from './elbv2/elbv2-emulator';
import { waitForTargetState } from './elbv2/wait-for-target';
import { makeFixtureRelease, type FixtureReleaseOptions } from './fixture-releases';
import { freePort } from './free-port';
import { childProcesses, isGone, killIfRunning, type ProcessRef } from './process-tree';
import { spawnAgent, type SpawnedAgent } from './spawned-agent';
import { waitUntil, withTimeout } from './with-timeout';

/** One instance of the fleet: a real deploy-agent process with its own app port and instance id. */
export interface FleetInstance {
  readonly id: string;
  readonly port: number;
  readonly agent: SpawnedAgent;
  /** The agent's releasesDir (releases/, current, state.json). */
  readonly releasesDir: string;
  readonly configPath: string;
}

export interface ServiceOutFleetOptions {
  readonly instances: number;
  /** Target group settings on top of the fleet's short timings. */
  readonly targetGroup?: Partial<TargetGroupOptions>;
  /** `loadBalancer` config keys of every agent on top of the fleet's. */
  readonly loadBalancer?: Record<string, unknown>;
  /** `app` config keys of every agent on top of the fleet's. */
  readonly app?: Record<string, unknown>;
  /** Pushed (rolling, no wait) before the agents start. @default v1 */
  readonly first?: string;
}

/**
 * deploy-agent processes on a shared local store, each with its own app port
 * and instance id, behind the ELBv2 emulator's listener; every agent
 * registers itself and the fleet is returned once all are healthy.
 */
export interface ServiceOutFleet {
  readonly work: string;
  readonly store: string;
  readonly emulator: Elbv2Emulator;
  readonly arn: string;
  /** An SDK client of the emulator, for the test's own calls. */
  readonly client: ElasticLoadBalancingV2Client;
  /** Live: `restart` replaces an instance's entry (same index) with its new agent. */
  readonly instances: readonly FleetInstance[];
  readonly ids: readonly string[];
  /** The instance `id` (throws when there is none). */
  instance(id: string): FleetInstance;
  /** SIGKILLs the agent of `id`; resolves, once it has exited, with its children at the moment of the kill. */
  kill(id: string): Promise<ProcessRef[]>;
  /** Starts a new agent for `id` on the same config and disk. */
  restart(id: string): FleetInstance;
  /** `deployctl push <version> --dir <fixture> [--strategy …] [--wait]` in-process. */
  push(version: string, options?: { fixture?: FixtureReleaseOptions; strategy?: 'rolling' | 'service-out'; wait?: boolean }): Promise<CliRun>;
  /** The last log lines of every agent (for a failing test's message). */
  logTail(lines?: number): string;
  /** SIGTERM to every agent (each deregisters and drains), then the emulator; removes the work dir. */
  stop(): Promise<void>;
}

/** AWS settings of the agents: static credentials (the SDK never asks EC2 for any), no SDK notice. */
export const emulatorAgentEnv: Readonly<Record<string, string>> = {
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

export async function startServiceOutFleet(options: ServiceOutFleetOptions): Promise<ServiceOutFleet> {
  const work = mkdtempSync(path.join(tmpdir(), 'deployctl-fleet-'));
  const store = path.join(work, 'store');
  const emulator = await withTimeout(createElbv2Emulator({ registrationMs: 100 }), 5000, 'emulator start');
  const client = elbv2Client(emulator.endpoint);
  const instances: FleetInstance[] = [];
  /** Children of killed agents: none may outlive the fleet, whatever a test asserted. */
  const orphans: ProcessRef[] = [];
  const push: ServiceOutFleet['push'] = async (version, pushOptions = {}) => {
    const dir = makeFixtureRelease(path.join(work, 'src'), version, { bootMs: 100, ...pushOptions.fixture }).dir;
    const args = ['push', version, '--dir', dir, '--store', store, ...(pushOptions.strategy ? ['--strategy', pushOptions.strategy] : [])];
    if (pushOptions.wait) args.push('--wait', '--timeout', '3m', '--stale-after', '1h');
    return runCli(args, { cwd: work, timeoutMs: 200_000 });
  };
  const stop = async (): Promise<void> => {
    for (const instance of instances) instance.agent.kill('SIGTERM');
    await Promise.all(
      instances.map(async (instance) => {
        await withTimeout(instance.agent.exited, 30_000, `agent ${instance.id} to stop`).catch(() => instance.agent.kill('SIGKILL'));
        await withTimeout(instance.agent.exited, 5_000, `agent ${instance.id} to be killed`);
      }),
    );
    await waitUntil(() => orphans.every(isGone), 10_000, 'the workers of killed agents to exit').catch(() => orphans.forEach(killIfRunning));
    client.destroy();
    await withTimeout(emulator.stop(), 5000, 'emulator stop');
    rmSync(work, { recursive: true, force: true });
  };
  try {
    const arn = emulator.createTargetGroup({
      name: 'fleet',
      port: 1,
      healthCheckPath: '/health',
      intervalMs: 300,
      timeoutMs: 200,
      healthyThreshold: 2,
      unhealthyThreshold: 2,
      deregistrationDelayS: 3,
      ...options.targetGroup,
    });
    const first = options.first ?? 'v1';
    const pushed = await push(first);
    if (pushed.code !== 0) throw new Error(`push ${first} failed: ${pushed.stderr}`);
    for (let i = 1; i <= options.instances; i += 1) {
      const id = `i-0f1ee7000000000${i}`;
      const port = await freePort();
      const configPath = path.join(work, `agent-${i}.json`);
      writeFileSync(
        configPath,
        JSON.stringify({
          store,
          instanceId: id,
          releasesDir: path.join(work, `agent-${i}`),
          control: { socket: path.join(work, `agent-${i}.sock`) },
          pollIntervalMs: 200,
          heartbeatMs: 1000,
          app: { port, workers: 2, idleGraceMs: 200, wsCloseWindowMs: 300, stableMs: 300, shutdownTimeoutMs: 5000, healthCheck: { path: '/health', timeoutMs: 5000 }, ...options.app },
          loadBalancer: {
            targetGroupArns: [arn],
            endpoint: emulator.endpoint,
            maxUnavailable: 1,
            pollIntervalMs: 200,
            drainQuietMs: 300,
            healthyTimeoutMs: 20_000,
            slotLeaseMs: 10_000,
            slotWaitTimeoutMs: 120_000,
            ...options.loadBalancer,
          },
        }),
      );
      instances.push({ id, port, releasesDir: path.join(work, `agent-${i}`), configPath, agent: spawnAgent(configPath, { ...emulatorAgentEnv }) });
    }
    for (const instance of instances) await waitForTargetState(client, arn, instance.id, 'healthy', 30_000);
    const logTail = (lines = 15): string =>
      instances.map((i) => `--- ${i.id}\n${i.agent.logs.slice(-lines).map((l) => JSON.stringify(l)).join('\n')}`).join('\n');
    const instance = (id: string): FleetInstance => {
      const found = instances.find((i) => i.id === id);
      if (!found) throw new Error(`no instance ${id} in the fleet (${instances.map((i) => i.id).join(', ')})`);
      return found;
    };
    const kill = async (id: string): Promise<ProcessRef[]> => {
      const { agent } = instance(id);
      const children = agent.child.pid === undefined ? [] : childProcesses(agent.child.pid);
      orphans.push(...children);
      agent.kill('SIGKILL');
      await withTimeout(agent.exited, 10_000, `agent ${id} to exit after SIGKILL`);
      return children;
    };
    const restart = (id: string): FleetInstance => {
      const old = instance(id);
      const next = { ...old, agent: spawnAgent(old.configPath, { ...emulatorAgentEnv }) };
      instances[instances.indexOf(old)] = next;
      return next;
    };
    return { work, store, emulator, arn, client, instances, ids: instances.map((i) => i.id), instance, kill, restart, push, logTail, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
