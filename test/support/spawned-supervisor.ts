import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Release } from '../../agent/cluster/managed-worker';
import { repoRoot } from './fixture-releases';
import { withTimeout } from './with-timeout';

/** supervise-main.js (compiled) in its own process: a real primary to send signals to. */
export interface SpawnedSupervisor {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(): void;
}

export async function spawnSupervisor(
  release: Release,
  port: number,
  workers: number,
  shutdownTimeoutMs: number,
  /** Node options of the primary itself (its workers must not inherit them). */
  nodeOptions: readonly string[] = [],
): Promise<SpawnedSupervisor> {
  const script = path.join(repoRoot(), 'dist', 'test', 'support', 'supervise-main.js');
  const child = spawn(process.execPath, [...nodeOptions, script, release.dir, release.version, String(port), String(workers), String(shutdownTimeoutMs)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', () => output.includes('ready\n') && resolve());
    void exited.then(({ code }) => reject(new Error(`supervise-main exited with ${code} before ready:\n${output}`)));
  });
  await withTimeout(ready, 20_000, 'the spawned supervisor to report ready');
  return {
    child,
    output: () => output,
    exited,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
