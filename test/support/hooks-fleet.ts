import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AgentConfigFile } from '../../agent/config/config-file';
import { instanceStatusSchema, type InstanceStatus } from '../../agent/store/documents';
import { runCli, type CliRun } from './cli-harness';
import { fixtureAppPath } from './fixture-releases';
import { freePort } from './free-port';
import { childProcesses, isGone, killIfRunning, type ProcessRef } from './process-tree';
import type { S3Server } from './s3-server';
import { spawnAgent, type SpawnedAgent } from './spawned-agent';
import { waitUntil, withTimeout } from './with-timeout';

/** One deploy-agent process of a fleet on a shared S3 store. */
export interface HooksFleetInstance {
  readonly id: string;
  readonly port: number;
  readonly configPath: string;
  readonly releasesDir: string;
  agent: SpawnedAgent;
}

export interface HooksFleet {
  readonly work: string;
  readonly storeUrl: string;
  readonly cliEnv: Record<string, string>;
  readonly instances: readonly HooksFleetInstance[];
  /**
   * `deployctl push <version>`: the fixture app, plus `files` (e.g. deployctl.json
   * with hooks) and `args` (e.g. --env). Its server.js refuses to boot unless
   * `requireFile` exists in the release dir (a prepare hook writes it).
   */
  push(version: string, options?: { files?: Record<string, string>; args?: readonly string[]; requireFile?: string }): Promise<CliRun>;
  /** Every instance report, read with `deployctl status --json`. */
  reports(): Promise<InstanceStatus[]>;
  report(id: string): Promise<InstanceStatus | undefined>;
  /** SIGKILLs the agent of `id` (its workers, not its hooks, leave with it). */
  kill(id: string): Promise<void>;
  /** A new agent on the same config and disk. */
  restart(id: string): void;
  logTail(lines?: number): string;
  stop(): Promise<void>;
}

let buckets = 0;
const S3_TEST_ENV = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

/** `instances` real deploy-agent processes (compiled) on one bucket of the S3 test server, rolling deploys. */
export async function startHooksFleet(
  s3: S3Server,
  options: { instances: number; app?: Partial<AgentConfigFile['app']>; config?: Partial<AgentConfigFile>; env?: Record<string, string> },
): Promise<HooksFleet> {
  const work = mkdtempSync(path.join(tmpdir(), 'deployctl-hooks-'));
  const bucket = `hooks-${process.pid}-${++buckets}`;
  await s3.bucket(bucket);
  const storeUrl = `s3://${bucket}/app`;
  const cliEnv = { DEPLOYCTL_S3_ENDPOINT: s3.endpoint, DEPLOYCTL_S3_FORCE_PATH_STYLE: '1', AWS_REGION: 'us-east-1' };
  const instances: HooksFleetInstance[] = [];
  const orphans: ProcessRef[] = [];
  for (let i = 1; i <= options.instances; i++) {
    const id = `i-hooks${i}`;
    const port = await freePort();
    const releasesDir = path.join(work, `agent-${i}`);
    mkdirSync(releasesDir, { recursive: true });
    const configPath = path.join(work, `agent-${i}.json`);
    const config: AgentConfigFile = {
      store: storeUrl,
      s3: s3.options,
      releasesDir,
      control: { socket: path.join(work, `agent-${i}.sock`) },
      instanceId: id,
      pollIntervalMs: 200,
      heartbeatMs: 1000,
      ...options.config,
      app: { port, workers: 2, stableMs: 300, wsCloseWindowMs: 200, idleGraceMs: 200, ...options.app },
    };
    writeFileSync(configPath, JSON.stringify(config, null, 2));
    instances.push({ id, port, configPath, releasesDir, agent: spawnAgent(configPath, { ...S3_TEST_ENV, ...options.env }) });
  }
  const instance = (id: string): HooksFleetInstance => {
    const found = instances.find((i) => i.id === id);
    if (!found) throw new Error(`no instance ${id}`);
    return found;
  };
  const reports = async (): Promise<InstanceStatus[]> => {
    const run = await runCli(['status', '--json', '--store', storeUrl], { cwd: work, env: cliEnv });
    if (run.code !== 0) throw new Error(`deployctl status failed: ${run.stderr}`);
    return (JSON.parse(run.stdout) as { instances: unknown[] }).instances.map((i) => instanceStatusSchema.parse(i));
  };
  return {
    work,
    storeUrl,
    cliEnv,
    instances,
    async push(version, pushOptions = {}) {
      const dir = path.join(work, 'src', version);
      mkdirSync(dir, { recursive: true });
      const gate = pushOptions.requireFile
        ? `if (!require('fs').existsSync(require('path').join(__dirname, ${JSON.stringify(pushOptions.requireFile)}))) { console.error('not prepared'); process.exit(17); }\n`
        : '';
      writeFileSync(path.join(dir, 'server.js'), `${gate}require(${JSON.stringify(fixtureAppPath())});\n`);
      writeFileSync(path.join(dir, 'fixture.json'), JSON.stringify({ mode: 'graceful', bootMs: 0 }));
      for (const [name, content] of Object.entries(pushOptions.files ?? {})) writeFileSync(path.join(dir, name), content);
      return runCli(['push', version, '--dir', dir, '--store', storeUrl, ...(pushOptions.args ?? [])], { cwd: work, env: cliEnv });
    },
    reports,
    report: async (id) => (await reports()).find((r) => r.instanceId === id),
    async kill(id) {
      const { agent } = instance(id);
      if (agent.child.pid !== undefined) orphans.push(...childProcesses(agent.child.pid));
      agent.kill('SIGKILL');
      await withTimeout(agent.exited, 10_000, `agent ${id} to exit after SIGKILL`);
    },
    restart(id) {
      const found = instance(id);
      found.agent = spawnAgent(found.configPath, { ...S3_TEST_ENV, ...options.env });
    },
    logTail(lines = 20) {
      return instances.map((i) => `--- ${i.id}\n${i.agent.logs.slice(-lines).map((l) => JSON.stringify(l)).join('\n')}`).join('\n');
    },
    async stop() {
      for (const i of instances) i.agent.kill('SIGTERM');
      await Promise.all(
        instances.map(async (i) => {
          await withTimeout(i.agent.exited, 30_000, `agent ${i.id} to stop`).catch(() => i.agent.kill('SIGKILL'));
          await withTimeout(i.agent.exited, 5_000, `agent ${i.id} to be killed`);
        }),
      );
      await waitUntil(() => orphans.every(isGone), 10_000, 'the workers of killed agents to exit').catch(() => orphans.forEach(killIfRunning));
      rmSync(work, { recursive: true, force: true });
    },
  };
}
