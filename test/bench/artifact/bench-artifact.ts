/**
 * `npm run bench:artifact`: deployctl's artifact path against plain tar on the
 * same node_modules-like tree (~100 MB in ~20,000 files, the same bytes every
 * run), through a local S3 server (fauxqs in its own child process):
 *
 * - push            `deployctl push vN --dir TREE --store s3://bench/app`, a real CLI process
 *                   (or push-runner.js, the same code path, while the CLI cannot take an endpoint)
 * - tar-czf+upload  `tar czf` + a lib-storage Upload of the file (8 MiB parts)
 * - fetch+unpack    the agent's openStore → readManifest → openArtifact → unpackRelease
 * - tar-xzf         `tar xzf` of the same artifact from local disk
 * - tar-xzf+sync    `tar xzf` then `sync -f`: tar as durable as the agent's unpack (the target)
 *
 * then a second case, a release of one big file (BENCH_BIG_MB MiB, default 1024: push-1gib,
 * fetch+unpack-1gib, tar-xzf+sync-1gib), so that small-file tuning does not cost big files.
 * fetch+unpack also reports where its time went per thread (unpack-profile.ts), from one more
 * run of each case with its stages timed: that timing wraps the agent's functions and costs the
 * main thread time of its own (6-20 ms of its 490-560 busy ms in our runs), so the timed runs go without it.
 *
 * Each step runs in its own process(es); `sync` runs (untimed) before each. Nothing is
 * deleted until every run is done, and fetch+unpack and tar-xzf take turns going first:
 * on ext4 without a journal (this machine's /tmp), the first extraction after a mass delete
 * scans past every recently deleted inode for each file it creates (recently_deleted() in
 * the inode allocator), and took 2.8-2.9 s where the next ones took 0.75-1 s. Removing each
 * run's trees before the next run put that cost on whichever step came first. Progress
 * goes to stderr; stdout gets the results table, the targets table and, as its last
 * line, one JSON object. BENCH_RUNS (default 3), BENCH_MB (default 100), BENCH_BIG_MB (default
 * 1024, 0 skips the big-file case) and BENCH_PUSH (cli | runner, default: cli when it reads
 * DEPLOYCTL_S3_ENDPOINT) change the run; `BENCH_RUNS=1 BENCH_MB=5 BENCH_BIG_MB=16` is a quick run.
 */
import { mkdirSync, mkdtempSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { cleanupAll } from '../reload/cleanup';
import { IpcChild } from '../reload/ipc-child';
import { asRecord, errorMessage, stringField } from '../reload/ipc-protocol';
import { round } from '../reload/stats-math';
import { BUCKET, readSettings, STORE_URL } from './bench-config';
import { AGENT_NODE_FLAGS } from '../../../agent/lifecycle/node-flags';
import { generateBigFileTree } from './big-file-tree';
import { generateTree } from './release-tree';
import {
  aggregate,
  BIG_STEPS,
  computeTargets,
  profileMedians,
  profileTable,
  resultsTable,
  STEPS,
  targetsTable,
  type ProfileMedians,
  type StepName,
} from './report';
import { nativeRssMethod } from './run-process';
import {
  cliHonoursS3Env,
  downloadArtifact,
  flushDisks,
  fmtMb,
  measureFetchUnpack,
  measurePush,
  measureTarUpload,
  measureTarXzf,
  measureTarXzfSynced,
  removeDir,
  type BenchContext,
  type Sample,
} from './steps';

const SERVER_START_TIMEOUT_MS = 30_000;

function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

function logSample(run: number, runs: number, name: string, sample: Sample): void {
  progress(`  run ${run}/${runs} ${name}: ${Math.round(sample.ms)} ms, peak ${fmtMb(sample.peakRssMb)}${sample.note ? ` — ${sample.note}` : ''}`);
}

async function main(): Promise<void> {
  const settings = readSettings();
  const started = performance.now();
  // Every node child reaches the local server with these; none may ask EC2's metadata service.
  process.env['AWS_ACCESS_KEY_ID'] = 'test';
  process.env['AWS_SECRET_ACCESS_KEY'] = 'test';
  process.env['AWS_EC2_METADATA_DISABLED'] = 'true';
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';

  const workDir = mkdtempSync(path.join(tmpdir(), 'deployctl-bench-artifact-'));
  tempDirs.add(workDir);
  try {
    const pushVia = settings.pushVia ?? (cliHonoursS3Env() ? 'cli' : 'runner');
    progress(`bench:artifact runs=${settings.runs} mb=${settings.mb} push via ${pushVia === 'cli' ? 'deployctl CLI (dist/cli/main.js)' : 'push-runner.js (the CLI does not read DEPLOYCTL_S3_ENDPOINT yet)'}`);
    progress(`  tar peak RSS: ${nativeRssMethod()}; node children: own RSS sampled every 20 ms`);

    const treeDir = path.join(workDir, 'tree');
    const genStarted = performance.now();
    const tree = generateTree(treeDir, settings.mb);
    const mb = round(tree.bytes / 1e6, 1);
    progress(`  tree: ${tree.files} files, ${tree.dirs} dirs, ${mb} MB, generated in ${Math.round(performance.now() - genStarted)} ms`);

    const server = new IpcChild('s3 server', path.join(__dirname, 's3-server-child.js'));
    const reply = asRecord(await server.request('start', { bucket: BUCKET }, SERVER_START_TIMEOUT_MS, 'start'), 'start result');
    const endpoint = stringField(reply, 'endpoint', 'start result');
    progress(`  S3 server (fauxqs, pid ${server.pid}) on ${endpoint}, store ${STORE_URL}`);

    const ctx: BenchContext = { mb: settings.mb, treeDir, treeBytes: tree.bytes, endpoint, pushVia };
    const samples = new Map<StepName, Sample[]>([...STEPS, ...BIG_STEPS].map((s) => [s, []]));
    const record = (run: number, name: StepName, sample: Sample): void => {
      samples.get(name)?.push(sample);
      logSample(run, settings.runs, name, sample);
    };
    /** The profiled (untimed) run of each fetch+unpack case. */
    const profiled = new Map<StepName, Sample>();
    const profile = async (name: StepName, caseCtx: BenchContext, version: string, runDir: string): Promise<void> => {
      await flushDisks();
      const sample = await measureFetchUnpack(caseCtx, version, runDir, { profile: true });
      profiled.set(name, sample);
      progress(`  profiled ${name} (not timed): ${Math.round(sample.ms)} ms — ${sample.note}`);
    };

    const runDirOf = (run: number): string => path.join(workDir, `run-${run}`);
    for (let run = 1; run <= settings.runs; run += 1) {
      const version = `v${run}`;
      const runDir = runDirOf(run);
      mkdirSync(runDir);
      const fetchFirst = run % 2 === 1;
      progress(
        `  run ${run}/${settings.runs}: load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} (other work on this machine skews the timings); ${fetchFirst ? 'fetch+unpack, then tar-xzf' : 'tar-xzf, then fetch+unpack'}`,
      );
      // The run's dir stays until the end (see the top of this file).
      await flushDisks();
      record(run, 'push', await measurePush(ctx, version, runDir));
      await flushDisks();
      record(run, 'tar-czf+upload', await measureTarUpload(ctx, version, runDir));
      const artifact = path.join(runDir, `${version}.tar.gz`);
      await downloadArtifact(ctx, version, artifact);
      for (const step of fetchFirst ? (['fetch+unpack', 'tar-xzf'] as const) : (['tar-xzf', 'fetch+unpack'] as const)) {
        await flushDisks();
        if (step === 'fetch+unpack') record(run, step, await measureFetchUnpack(ctx, version, runDir));
        else record(run, step, await measureTarXzf(ctx, artifact, runDir));
      }
      await flushDisks();
      record(run, 'tar-xzf+sync', await measureTarXzfSynced(ctx, artifact, runDir));
    }
    await profile('fetch+unpack', ctx, 'v1', runDirOf(1));

    let big: { readonly mib: number; readonly artifactMb: number } | undefined;
    if (settings.bigMib > 0) {
      const bigTree = generateBigFileTree(path.join(workDir, 'big-tree'), settings.bigMib);
      progress(`  big-file case: one ${settings.bigMib} MiB file (BENCH_BIG_MB), ${round(bigTree.bytes / 1e6, 1)} MB`);
      const bigCtx: BenchContext = { ...ctx, mb: bigTree.bytes / 1e6, treeDir: bigTree.dir, treeBytes: bigTree.bytes };
      let artifactMb = 0;
      for (let run = 1; run <= settings.runs; run += 1) {
        const version = `big${run}`;
        // One big file: no mass of deleted inodes to skew the next run, and 3 GB per run is
        // worth freeing at once.
        const runDir = path.join(workDir, `big-run-${run}`);
        mkdirSync(runDir);
        try {
          await flushDisks();
          record(run, 'push-1gib', await measurePush(bigCtx, version, runDir));
          const artifact = path.join(runDir, `${version}.tar.gz`);
          await downloadArtifact(bigCtx, version, artifact);
          artifactMb = round(statSync(artifact).size / 1e6, 1);
          const order = run % 2 === 1 ? (['fetch+unpack-1gib', 'tar-xzf+sync-1gib'] as const) : (['tar-xzf+sync-1gib', 'fetch+unpack-1gib'] as const);
          for (const step of order) {
            await flushDisks();
            if (step === 'fetch+unpack-1gib') record(run, step, await measureFetchUnpack(bigCtx, version, runDir));
            else record(run, step, await measureTarXzfSynced(bigCtx, artifact, runDir));
          }
          if (run === settings.runs) await profile('fetch+unpack-1gib', bigCtx, version, runDir);
        } finally {
          removeDir(runDir);
        }
      }
      removeDir(bigTree.dir);
      big = { mib: settings.bigMib, artifactMb };
    }
    await server.close();

    const names: readonly StepName[] = big === undefined ? STEPS : [...STEPS, ...BIG_STEPS];
    const rows = names.map((name) => aggregate(name, samples.get(name) ?? []));
    const targets = computeTargets(rows, big !== undefined);
    const profileOf = (name: StepName): { name: StepName; medians: ProfileMedians | null; runMs: number | null } => {
      const sample = profiled.get(name);
      const medians = profileMedians(sample?.profile === undefined ? [] : [sample.profile]);
      return { name, medians, runMs: sample === undefined ? null : round(sample.ms, 0) };
    };
    const profiles = [profileOf('fetch+unpack'), ...(big === undefined ? [] : [profileOf('fetch+unpack-1gib')])];
    progress(`bench:artifact done in ${Math.round((performance.now() - started) / 1000)} s`);
    const title = `bench:artifact: ${tree.files} files, ${mb} MB${big === undefined ? '' : `; big-file case: one ${big.mib} MiB file, artifact ${big.artifactMb} MB`}; push via ${pushVia}; Node ${process.version}, fetch+unpack with the agent's V8 flags ${AGENT_NODE_FLAGS.join(' ')}; medians of ${settings.runs} run(s)`;
    const profileTitle = `where fetch+unpack spends its time, per thread (one more run of each case, with its stages timed, which costs time of its own: not among the runs above; ${profiles.map((p) => `${p.name} took ${p.runMs ?? '-'} ms`).join(', ')}; threads overlap, so stages add up to more than the wall time):`;
    process.stdout.write(`${title}\n\n${resultsTable(rows)}\n\n${profileTitle}\n${profileTable(profiles)}\n\n${targetsTable(targets)}\n\n`);
    const json = {
      bench: 'artifact',
      // The figures depend on it: Node 24's V8 sizes the heap differently from Node 20's (peak RSS).
      node: process.version,
      agentNodeFlags: AGENT_NODE_FLAGS,
      mb,
      files: tree.files,
      bigFileMib: big?.mib ?? null,
      results: rows.map((r) => ({ name: r.name, ms: r.ms, peakRssMb: r.peakRssMb })),
      profile: Object.fromEntries(profiles.map((p) => [p.name, p.medians === null ? null : { ...p.medians, runMs: p.runMs }])),
      targets,
    };
    process.stdout.write(`${JSON.stringify(json)}\n`);
  } finally {
    removeDir(workDir);
    tempDirs.delete(workDir);
  }
}

let signalled = false;
/** Removed once every child is gone (a child may still be writing into them until then). */
const tempDirs = new Set<string>();

/** Stops every child process (IPC children, tar, the CLI), then removes the temp dirs. */
async function cleanupEverything(): Promise<void> {
  await cleanupAll();
  for (const dir of tempDirs) {
    try {
      removeDir(dir);
    } catch (error: unknown) {
      progress(`cleanup: could not remove ${dir}: ${errorMessage(error)}`);
    }
  }
  tempDirs.clear();
}

/** On SIGINT/SIGTERM: stop every child, remove the temp dirs, exit 130/143. A second signal exits at once. */
function cleanupOnSignals(): void {
  const handler = (signal: NodeJS.Signals): void => {
    if (signalled) process.exit(1);
    signalled = true;
    progress(`bench:artifact: ${signal}: stopping child processes and removing temp dirs`);
    void cleanupEverything().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

cleanupOnSignals();
main()
  .catch((error: unknown) => {
    if (signalled) return; // failures after a signal are its consequence
    progress(`bench:artifact failed: ${error instanceof Error ? (error.stack ?? error.message) : errorMessage(error)}`);
    process.exitCode = 1;
  })
  .finally(() => cleanupEverything());
