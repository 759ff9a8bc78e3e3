import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { Agent } from '../../agent/agent';
import { parseConfigFile, buildRuntimeConfig } from '../../agent/config/load';
import type { AgentConfigFile } from '../../agent/config/config-file';
import { createLogger } from '../../agent/log/logger';
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

export async function startAgentHarness(
  configOverrides: Partial<Omit<AgentConfigFile, 'app'>> & { app?: Partial<AgentConfigFile['app']> } = {},
): Promise<AgentHarness> {
  const work = mkdtempSync(path.join(tmpdir(), 'deployctl-agent-'));
  const store = path.join(work, 'store');
  const releasesDir = path.join(work, 'agent');
  const port = await freePort();
  const file = parseConfigFile(
    {
      store,
      releasesDir,
      pollIntervalMs: 200,
      ...configOverrides,
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
  const agent = new Agent(config, { log: createLogger(sink, 'debug') });
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
      const result = await runCli(['push', version, '--dir', dir, '--store', store], { cwd: work });
      if (result.code !== 0) throw new Error(`push ${version} failed: ${result.stderr}`);
      return result.code;
    },
    close: async () => {
      await withTimeout(agent.stop(), 30_000, 'the agent to stop');
      rmSync(work, { recursive: true, force: true });
    },
  };
}
