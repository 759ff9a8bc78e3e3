import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { Agent } from '../../agent/agent';
import { parseConfigFile, buildRuntimeConfig } from '../../agent/config/load';
import type { AgentConfigFile } from '../../agent/config/config-file';
import type { ReleaseDirs } from '../../agent/deploy/release-dirs';
import { createLogger } from '../../agent/log/logger';
import { instanceStatusSchema, type InstanceStatus } from '../../agent/store/documents';
import type { ReleaseStore } from '../../agent/store/release-store';
import { runCli } from './cli-harness';
import { makeFixtureRelease, type FixtureReleaseOptions } from './fixture-releases';
import { freePort } from './free-port';
import { withTimeout } from './with-timeout';

/** An in-process Agent on a local store in a temp dir, with its JSON logs captured. */
export interface AgentHarness {
  readonly agent: Agent;
  readonly port: number;
  readonly work: string;
  readonly store: string;
  readonly releasesDir: string;
  readonly logs: Record<string, unknown>[];
  /** `deployctl push <version> --dir <fixture release>` into the store; returns the CLI's exit code. */
  push(version: string, options?: FixtureReleaseOptions): Promise<number>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** A store directory to share (e.g. another harness's `store`): several agents, one fleet. @default <work>/store */
  readonly store?: string;
  /** Builds the agent's store from the store directory (e.g. a LocalStore that records what is written). @default openStore */
  readonly openStore?: (dir: string) => ReleaseStore;
  /** Environment of the in-process `deployctl push` (e.g. DEPLOYCTL_S3_ENDPOINT for an S3 store). */
  readonly cliEnv?: Record<string, string>;
  /** Builds the agent's ReleaseDirs from its releasesDir (e.g. one whose writes fail on cue). @default new ReleaseDirs */
  readonly openDirs?: (releasesDir: string) => ReleaseDirs;
}

export async function startAgentHarness(
  configOverrides: Partial<Omit<AgentConfigFile, 'app'>> & { app?: Partial<AgentConfigFile['app']> } = {},
  harnessOptions: HarnessOptions = {},
): Promise<AgentHarness> {
  const options = harnessOptions;
  const cliEnv = harnessOptions.cliEnv;
  const work = mkdtempSync(path.join(tmpdir(), 'deployctl-agent-'));
  const store = options.store ?? path.join(work, 'store');
  const releasesDir = path.join(work, 'agent');
  const port = await freePort();
  const file = parseConfigFile(
    {
      store,
      releasesDir,
      pollIntervalMs: 200,
      ...configOverrides,
      control: { socket: path.join(work, 'agent.sock'), ...configOverrides.control },
      app: { port, workers: 2, wsCloseWindowMs: 200, stableMs: 300, ...configOverrides.app },
    },
    'test config',
  );
  const configPath = path.join(work, 'agent.json');
  writeFileSync(configPath, JSON.stringify(file));
  const config = buildRuntimeConfig(file, configPath);
  const logs: Record<string, unknown>[] = [];
  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
  });
  const agent = new Agent(config, {
    log: createLogger(sink, 'debug'),
    ...(options.openStore ? { store: options.openStore(store) } : {}),
    ...(options.openDirs ? { dirs: options.openDirs(releasesDir) } : {}),
  });
  const sources = path.join(work, 'sources');
  return {
    agent,
    port,
    work,
    store,
    releasesDir,
    logs,
    push: async (version, options) => {
      const dir = makeFixtureRelease(sources, version, options).dir;
      const result = await runCli(['push', version, '--dir', dir, '--store', store], { cwd: work, ...(cliEnv ? { env: cliEnv } : {}) });
      if (result.code !== 0) throw new Error(`push ${version} failed: ${result.stderr}`);
      return result.code;
    },
    close: async () => {
      await withTimeout(agent.stop(), 30_000, 'the agent to stop');
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/** instances/<id>.json of a store directory, validated; undefined while there is none. */
export function readInstanceReport(store: string, id: string): InstanceStatus | undefined {
  const file = path.join(store, 'instances', `${id}.json`);
  return existsSync(file) ? instanceStatusSchema.parse(JSON.parse(readFileSync(file, 'utf8'))) : undefined;
}

/** The report says `version` is live: running it, idle, every worker ready, its last deploy a success. */
export function reportsLive(report: InstanceStatus | undefined, version: string): boolean {
  return (
    report?.running === version &&
    report.state === 'idle' &&
    report.workers.total > 0 &&
    report.workers.ready === report.workers.total &&
    report.lastDeploy?.version === version &&
    report.lastDeploy.result === 'succeeded'
  );
}
