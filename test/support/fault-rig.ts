import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AgentConfigFile } from '../../agent/config/config-file';
import { instanceStatusSchema, type InstanceStatus } from '../../agent/store/documents';
import { reportsLive } from './agent-harness';
import { runCli } from './cli-harness';
import { makeFixtureRelease } from './fixture-releases';
import { freePort } from './free-port';
import { childProcesses, isGone, killIfRunning, type ProcessRef } from './process-tree';
import { readStateFile } from './release-invariants';
import type { S3Server } from './s3-server';
import { spawnAgent, type SpawnedAgent, type SpawnOptions } from './spawned-agent';
import { waitUntil, withTimeout } from './with-timeout';

/**
 * One instance for fault tests: a real deploy-agent process (compiled) on an
 * S3 store (a bucket of its own on a shared S3 test server), a temp dir with
 * its config, releases dir and the source tree of every version pushed. The
 * agent can be killed and started again on the same disk.
 */
export interface FaultRig {
  readonly work: string;
  readonly storeUrl: string;
  readonly port: number;
  readonly releasesDir: string;
  readonly instanceId: string;
  /** The environment `deployctl` needs for this store. */
  readonly cliEnv: Record<string, string>;
  /** Pushes the fixture app (boot 0 ms) as `version`, with `files` added or replacing its own, and more `push` arguments (e.g. --env). */
  push(version: string, files?: Record<string, string | Buffer>, args?: readonly string[]): Promise<void>;
  /** The source tree pushed as `version`. */
  sourceOf(version: string): string;
  /** Starts an agent on this instance's config and disk. */
  spawn(options?: SpawnOptions): SpawnedAgent;
  /** SIGKILLs the agent; resolves with its children at the moment of the kill. */
  kill(agent: SpawnedAgent): Promise<ProcessRef[]>;
  /** This instance's report, read with `deployctl status --json`; undefined before the first. */
  report(): Promise<InstanceStatus | undefined>;
  /** Resolves once the report says `version` is live and state.json has come to rest on it. */
  converged(version: string, timeoutMs: number): Promise<void>;
  /** Kills every agent it started (and any worker left behind), removes the temp dir (after `beforeRemove`, e.g. an unmount). */
  close(beforeRemove?: () => void): Promise<void>;
}

export type AgentConfigOverrides = Partial<Omit<AgentConfigFile, 'app' | 'store'>> & { app?: Partial<AgentConfigFile['app']> };

let buckets = 0;

/** What the S3 test server asks of its clients (any credentials; no Node 20 notice). */
const S3_TEST_ENV = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

export async function startFaultRig(s3: S3Server, overrides: AgentConfigOverrides = {}): Promise<FaultRig> {
  const work = mkdtempSync(path.join(tmpdir(), 'deployctl-fault-'));
  const bucket = `faults-${process.pid}-${++buckets}`;
  await s3.bucket(bucket);
  const storeUrl = `s3://${bucket}/app`;
  const port = await freePort();
  const releasesDir = path.join(work, 'agent');
  mkdirSync(releasesDir, { recursive: true });
  const instanceId = `i-fault-${buckets}`;
  const configPath = path.join(work, 'agent.json');
  const config: AgentConfigFile = {
    store: storeUrl,
    s3: s3.options,
    releasesDir,
    control: { socket: path.join(work, 'agent.sock') },
    instanceId,
    pollIntervalMs: 200,
    heartbeatMs: 1000,
    ...overrides,
    app: { port, workers: 2, stableMs: 300, wsCloseWindowMs: 200, idleGraceMs: 200, ...overrides.app },
  };
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  const cliEnv = { DEPLOYCTL_S3_ENDPOINT: s3.endpoint, DEPLOYCTL_S3_FORCE_PATH_STYLE: '1', AWS_REGION: 'us-east-1' };
  const agents: SpawnedAgent[] = [];
  const sources = path.join(work, 'src');
  const sourceOf = (version: string): string => path.join(sources, version);

  /** Every child of an agent seen at a kill: none may outlive the rig, whatever a test asserted. */
  const orphans: ProcessRef[] = [];
  const kill = async (agent: SpawnedAgent): Promise<ProcessRef[]> => {
    const pid = agent.child.pid;
    const children = pid === undefined ? [] : childProcesses(pid);
    orphans.push(...children);
    agent.kill('SIGKILL');
    await withTimeout(agent.exited, 10_000, `agent ${pid ?? '?'} to exit after SIGKILL`);
    return children;
  };

  const report = async (): Promise<InstanceStatus | undefined> => {
    const run = await runCli(['status', '--json', '--store', storeUrl], { cwd: work, env: cliEnv });
    if (run.code !== 0) throw new Error(`deployctl status failed: ${run.stderr}`);
    const { instances } = JSON.parse(run.stdout) as { instances: unknown[] };
    const mine = instances.map((i) => instanceStatusSchema.parse(i)).find((i) => i.instanceId === instanceId);
    return mine;
  };

  return {
    work,
    storeUrl,
    port,
    releasesDir,
    instanceId,
    cliEnv,
    async push(version, files = {}, args = []) {
      const dir = makeFixtureRelease(sources, version, { bootMs: 0 }).dir;
      for (const [name, content] of Object.entries(files)) {
        mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
        writeFileSync(path.join(dir, name), content);
      }
      const run = await runCli(['push', version, '--dir', dir, '--store', storeUrl, ...args], { cwd: work, env: cliEnv });
      if (run.code !== 0) throw new Error(`deployctl push ${version} failed: ${run.stderr}`);
    },
    sourceOf,
    spawn(options = {}) {
      const agent = spawnAgent(configPath, S3_TEST_ENV, options);
      agents.push(agent);
      return agent;
    },
    kill,
    report,
    async converged(version, timeoutMs) {
      const atRest = (): boolean => {
        const state = readStateFile(releasesDir);
        return state.state === 'idle' && state.current === version;
      };
      await waitUntil(async () => reportsLive(await report(), version) && atRest(), timeoutMs, `the report and state.json to say ${version} is live`);
    },
    async close(beforeRemove) {
      for (const agent of agents.splice(0)) await kill(agent);
      // Workers leave with their primary; should one not, it must not outlive the test.
      await waitUntil(() => orphans.every(isGone), 10_000, 'the workers of killed agents to exit').catch(() => orphans.forEach(killIfRunning));
      beforeRemove?.();
      rmSync(work, { recursive: true, force: true });
    },
  };
}
