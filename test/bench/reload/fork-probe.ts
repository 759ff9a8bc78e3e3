/**
 * Child process: how long one fixture worker takes from `cluster.fork()` to
 * 'listening' with nothing else running — the floor a roll is measured against.
 *
 *   probe {port, samples, release: {version, dir}} → {samplesMs, medianMs}
 *
 * Workers are forked one at a time; each is stopped (and gone) before the next.
 */
import cluster, { type Worker } from 'node:cluster';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { median } from './stats-math';
import { asRecord, numberField, stringField } from './ipc-protocol';
import { serveIpc } from './ipc-serve';

/** One sample's fork → listening (and its stop) may take this long. */
const SAMPLE_TIMEOUT_MS = 10_000;

const live = new Set<Worker>();

function timeout(ms: number, label: string): { promise: Promise<never>; clear(): void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${label}`)), ms);
  });
  return { promise, clear: () => clearTimeout(timer) };
}

async function sampleOnce(port: number, version: string): Promise<number> {
  const started = performance.now();
  const worker = cluster.fork({ PORT: String(port), APP_VERSION: version });
  live.add(worker);
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  void exited.then(() => live.delete(worker));
  const listening = new Promise<number>((resolve, reject) => {
    worker.once('listening', () => resolve(performance.now() - started));
    worker.once('exit', (code, signal) => reject(new Error(`probe worker exited (${signal ?? code}) before listening`)));
  });
  const limit = timeout(SAMPLE_TIMEOUT_MS, 'a probe worker to listen');
  try {
    return await Promise.race([listening, limit.promise]);
  } finally {
    limit.clear();
    worker.process.kill('SIGKILL');
    const gone = timeout(SAMPLE_TIMEOUT_MS, 'a probe worker to exit');
    await Promise.race([exited, gone.promise]).finally(() => gone.clear());
  }
}

async function probe(args: unknown): Promise<unknown> {
  const record = asRecord(args, 'probe');
  const release = asRecord(record['release'], 'probe.release');
  const dir = stringField(release, 'dir', 'probe.release');
  const version = stringField(release, 'version', 'probe.release');
  const port = numberField(record, 'port', 'probe');
  const samples = numberField(record, 'samples', 'probe');
  cluster.schedulingPolicy = cluster.SCHED_RR;
  cluster.setupPrimary({ exec: path.join(dir, 'server.js'), cwd: dir, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const samplesMs: number[] = [];
  for (let i = 0; i < samples; i += 1) samplesMs.push(await sampleOnce(port, version));
  return { samplesMs, medianMs: median(samplesMs) };
}

function exitNow(code: number): void {
  for (const worker of live) worker.process.kill('SIGKILL');
  process.exit(code);
}

serveIpc({ probe }, () => exitNow(0));
process.on('SIGINT', () => exitNow(130));
process.on('SIGTERM', () => exitNow(143));
