/**
 * Child process: one deployctl Supervisor (the cluster primary), driven by the
 * bench over IPC so that nothing else runs on its event loop.
 *
 *   start {port, workers, maxSurge, release: {version, dir}} → {startMs}
 *   roll  {release: {version, dir}} → {ok, rollMs, durationMs, failure, rolledBack, peakRssMb}
 *   stop  → {} (graceful stop of every worker)
 *
 * peakRssMb: this process's RSS, sampled every 50 ms from the roll's start to its end.
 * Closing the channel stops the supervisor (forcibly if a stop is not done) and exits.
 */
import { performance } from 'node:perf_hooks';
import { ClusterHost } from '../../../agent/cluster/cluster-host';
import type { Release } from '../../../agent/cluster/managed-worker';
import { Supervisor } from '../../../agent/cluster/supervisor';
import { DEPLOYCTL_TIMINGS } from './bench-config';
import { asRecord, numberField, stringField } from './ipc-protocol';
import { serveIpc } from './ipc-serve';
import { ownRss, PeakRss } from './peak-rss';

const quiet = { stdout(): void {}, stderr(): void {} };
const rss = new PeakRss(ownRss).start();
let supervisor: Supervisor | undefined;
let stopped = false;

function releaseArg(args: unknown, what: string): Release {
  const release = asRecord(asRecord(args, what)['release'], `${what}.release`);
  return { version: stringField(release, 'version', what), dir: stringField(release, 'dir', what) };
}

async function start(args: unknown): Promise<unknown> {
  if (supervisor) throw new Error('the supervisor is already started');
  const record = asRecord(args, 'start');
  supervisor = new Supervisor(
    {
      port: numberField(record, 'port', 'start'),
      workers: numberField(record, 'workers', 'start'),
      maxSurge: numberField(record, 'maxSurge', 'start'),
      ...DEPLOYCTL_TIMINGS,
    },
    { host: new ClusterHost('rr'), output: quiet },
  );
  const startedAt = performance.now();
  await supervisor.start(releaseArg(args, 'start'));
  return { startMs: performance.now() - startedAt };
}

async function roll(args: unknown): Promise<unknown> {
  if (!supervisor) throw new Error('start the supervisor before rolling');
  const release = releaseArg(args, 'roll');
  rss.reset();
  const result = await supervisor.roll(release);
  return {
    ok: result.ok,
    rollMs: result.rollMs,
    durationMs: result.durationMs,
    failure: result.failure ? `${result.failure.step} ${result.failure.reason}: ${result.failure.message}` : null,
    rolledBack: result.rolledBack,
    peakRssMb: rss.peakMb(),
  };
}

async function stop(): Promise<unknown> {
  stopped = true;
  await supervisor?.stop();
  return {};
}

function exitNow(code: number): void {
  if (!stopped) supervisor?.forceStop();
  rss.stop();
  process.exit(code);
}

serveIpc({ start, roll, stop }, () => exitNow(0));
process.on('SIGINT', () => exitNow(130));
process.on('SIGTERM', () => exitNow(143));
