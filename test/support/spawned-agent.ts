import { readFileSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { AGENT_NODE_FLAGS } from '../../agent/lifecycle/node-flags';
import { repoRoot } from './fixture-releases';

/** deploy-agent (compiled) as a real process, with its JSON log lines collected. */
export interface SpawnedAgent {
  readonly child: ChildProcess;
  readonly logs: Record<string, unknown>[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): void;
}

export interface SpawnOptions {
  /** A command that runs the agent's command line, e.g. `['prlimit', '--fsize=8388608', '--']`. @default none */
  readonly wrapper?: readonly string[];
}

/** `env` is added to this process's environment (e.g. AWS credentials for an emulator). */
export function spawnAgent(configPath: string, env: Record<string, string> = {}, options: SpawnOptions = {}): SpawnedAgent {
  assertOwnControlSocket(configPath);
  const [file = process.execPath, ...args] = [
    ...(options.wrapper ?? []),
    process.execPath,
    // As its bin's first line runs it: with the agent's V8 flags.
    ...AGENT_NODE_FLAGS,
    path.join(repoRoot(), 'dist', 'agent', 'main.js'),
    '--config',
    configPath,
  ];
  const child = spawn(file, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const logs: Record<string, unknown>[] = [];
  let partial = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // app output
      }
    }
  });
  child.stderr?.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    logs,
    exited,
    kill: (signal = 'SIGKILL') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}

/** The x-app-version the app on `port` answers with, or undefined when nothing answers. */
export function servedVersion(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 2000 }, (res) => {
      res.resume();
      const version = res.headers['x-app-version'];
      resolve(typeof version === 'string' ? version : undefined);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

/**
 * Agents started by tests run side by side: each needs a control socket of its
 * own, or the second one on the default /run/deploy-agent.sock refuses to start.
 */
function assertOwnControlSocket(configPath: string): void {
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as { control?: { socket?: unknown } };
  if (typeof config.control?.socket !== 'string') {
    throw new Error(`${configPath} has no control.socket: give each test agent its own (e.g. path.join(work, 'agent.sock'))`);
  }
}
