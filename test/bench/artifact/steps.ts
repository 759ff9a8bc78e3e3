import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { artifactKey } from '../../../agent/store/documents';
import { AGENT_NODE_FLAGS } from '../../../agent/lifecycle/node-flags';
import { IpcChild } from '../reload/ipc-child';
import { asRecord, numberField } from '../reload/ipc-protocol';
import { BASELINE_PREFIX, BUCKET, REGION, STORE_PREFIX, STORE_URL, stepTimeoutMs, type PushVia } from './bench-config';
import { runMeasured, runProcess } from './run-process';
import { PROFILE_STAGES, type UnpackProfile } from './unpack-profile';

/** What one step of one run measured. */
export interface Sample {
  readonly ms: number;
  readonly peakRssMb: number | null;
  /** One line for the progress log. */
  readonly note: string;
  /** A profiled fetch+unpack only: where its time went. */
  readonly profile?: UnpackProfile;
}

/** What every step of the bench shares. */
export interface BenchContext {
  readonly mb: number;
  /** The generated release tree. */
  readonly treeDir: string;
  readonly treeBytes: number;
  /** http://127.0.0.1:PORT of the local S3 server. */
  readonly endpoint: string;
  readonly pushVia: PushVia;
}

const DIST_ROOT = path.resolve(__dirname, '..', '..', '..');
const CLI_MAIN = path.join(DIST_ROOT, 'cli', 'main.js');
const PRELOAD = path.join(__dirname, 'rss-preload.js');
const PUSH_RUNNER = path.join(__dirname, 'push-runner.js');
const TRANSFER_CHILD = path.join(__dirname, 'transfer-child.js');
const FETCH_CHILD = path.join(__dirname, 'fetch-unpack-child.js');

/**
 * Whether the built CLI reads DEPLOYCTL_S3_ENDPOINT (cli/args/store-url.ts passing S3
 * options from the environment). Looked up in dist/cli rather than tried: a CLI
 * that ignored it would go to AWS itself.
 */
export function cliHonoursS3Env(): boolean {
  const pending = [path.join(DIST_ROOT, 'cli')];
  for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const child = path.join(dir, entry.name);
      if (entry.isDirectory()) pending.push(child);
      else if (entry.name.endsWith('.js') && readFileSync(child, 'utf8').includes('DEPLOYCTL_S3_ENDPOINT')) return true;
    }
  }
  return false;
}

/**
 * The environment of a push: the local S3 server through DEPLOYCTL_S3_* and test
 * credentials. AWS_ENDPOINT_URL_S3 is a safety net only (an explicit endpoint
 * wins over it in the SDK): a client built without the endpoint still talks to
 * 127.0.0.1, never to AWS. No instance-metadata lookups either.
 */
function pushEnv(endpoint: string, rssFile: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DEPLOYCTL_S3_ENDPOINT: endpoint,
    DEPLOYCTL_S3_FORCE_PATH_STYLE: '1',
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    DEPLOYCTL_CREATED_BY: 'bench:artifact',
    BENCH_RSS_FILE: rssFile,
  };
  delete env['DEPLOYCTL_STORE'];
  return env;
}

/** push: `deployctl push VERSION --dir TREE --store s3://bench/app` (or push-runner.js), spawn → exit. */
export async function measurePush(ctx: BenchContext, version: string, runDir: string): Promise<Sample> {
  const rssFile = path.join(runDir, 'push-rss.json');
  const target =
    ctx.pushVia === 'cli'
      ? [CLI_MAIN, 'push', version, '--dir', ctx.treeDir, '--store', STORE_URL]
      : [PUSH_RUNNER, version, ctx.treeDir, STORE_URL];
  const run = await runProcess(process.execPath, ['--require', PRELOAD, ...target], {
    label: `push ${version} (${ctx.pushVia})`,
    env: pushEnv(ctx.endpoint, rssFile),
    cwd: runDir,
    timeoutMs: stepTimeoutMs(ctx.mb),
  });
  const peakRssMb = numberField(asRecord(JSON.parse(readFileSync(rssFile, 'utf8')), 'push RSS file'), 'peakRssMb', 'push RSS file');
  const pushed = run.stdout.trim().split('\n')[0] ?? '';
  return { ms: run.ms, peakRssMb, note: pushed };
}

/**
 * tar-czf+upload: `tar czf a.tar.gz -C TREE .` (spawn → exit), then a fresh node
 * child uploading it with lib-storage (fork → its reply, so its start-up counts
 * as the CLI's does). Peak RSS: the larger of the two processes.
 */
export async function measureTarUpload(ctx: BenchContext, version: string, runDir: string): Promise<Sample & { readonly archive: string }> {
  const archive = path.join(runDir, 'a.tar.gz');
  const tar = await runMeasured('tar', ['czf', archive, '-C', ctx.treeDir, '.'], {
    label: 'tar czf',
    timeoutMs: stepTimeoutMs(ctx.mb),
    scratch: path.join(runDir, 'tar-czf'),
  });
  const started = performance.now();
  const child = new IpcChild('uploader', TRANSFER_CHILD);
  let uploadMs: number;
  let uploadRss: number;
  try {
    const args = { endpoint: ctx.endpoint, bucket: BUCKET, key: `${BASELINE_PREFIX}/${version}.tar.gz`, file: archive };
    const reply = asRecord(await child.request('upload', args, stepTimeoutMs(ctx.mb), 'upload a.tar.gz'), 'upload result');
    uploadMs = performance.now() - started;
    uploadRss = numberField(reply, 'peakRssMb', 'upload result');
  } finally {
    await child.close();
  }
  const size = statSync(archive).size;
  return {
    ms: tar.ms + uploadMs,
    peakRssMb: Math.max(tar.peakRssMb ?? 0, uploadRss),
    note: `tar czf ${Math.round(tar.ms)} ms (${fmtMb(tar.peakRssMb)}), upload ${Math.round(uploadMs)} ms (${fmtMb(uploadRss)}), archive ${(size / 1e6).toFixed(1)} MB`,
    archive,
  };
}

/**
 * fetch+unpack: a fresh node child, with the agent's V8 flags (AGENT_NODE_FLAGS), doing what
 * the agent's deployer does (openStore, readManifest, openArtifact, unpackRelease) into a fresh
 * releases dir. `ms` is measured inside the child (an agent is already running when it deploys).
 * With `profile`, the child times the stages too (unpack-profile.ts: its wrappers cost the main
 * thread time of their own, so a profiled run is not a timed one).
 */
export async function measureFetchUnpack(ctx: BenchContext, version: string, runDir: string, options: { readonly profile?: boolean } = {}): Promise<Sample> {
  const profiled = options.profile === true;
  const releasesDir = path.join(runDir, profiled ? 'profiled-releases' : 'releases');
  const forked = performance.now();
  // The agent's own V8 flags (its bin's first line), so the peak RSS measured is the agent's.
  const child = new IpcChild('fetch+unpack', FETCH_CHILD, AGENT_NODE_FLAGS);
  try {
    const args = { endpoint: ctx.endpoint, storeUrl: STORE_URL, version, releasesDir, profile: profiled };
    const reply = asRecord(await child.request('fetch', args, stepTimeoutMs(ctx.mb), `fetch and unpack ${version}`), 'fetch result');
    const wallMs = performance.now() - forked;
    const bytes = numberField(reply, 'bytes', 'fetch result');
    if (bytes !== ctx.treeBytes) throw new Error(`fetch+unpack wrote ${bytes} bytes of files, the tree has ${ctx.treeBytes}`);
    const ms = numberField(reply, 'ms', 'fetch result');
    const artifact = numberField(reply, 'artifactBytes', 'fetch result');
    const profile = profiled ? readProfile(reply['profile']) : undefined;
    const stages = profile === undefined ? '' : `; ms: ${PROFILE_STAGES.map((stage) => `${stage.replace(/Ms$/, '')} ${Math.round(profile[stage])}`).join(', ')}; ${profile.writerThreads} writer thread(s)`;
    return {
      ms,
      peakRssMb: numberField(reply, 'peakRssMb', 'fetch result'),
      note: `${numberField(reply, 'files', 'fetch result')} entries, artifact ${(artifact / 1e6).toFixed(1)} MB (fork → done ${Math.round(wallMs)} ms)${stages}`,
      ...(profile === undefined ? {} : { profile }),
    };
  } finally {
    await child.close();
  }
}

function readProfile(value: unknown): UnpackProfile {
  const record = asRecord(value, 'fetch result profile');
  const field = (name: keyof UnpackProfile): number => numberField(record, name, 'fetch result profile');
  return {
    fetchMs: field('fetchMs'),
    hashMs: field('hashMs'),
    inflateMs: field('inflateMs'),
    parseMs: field('parseMs'),
    checksMs: field('checksMs'),
    writesMs: field('writesMs'),
    syncMs: field('syncMs'),
    mainBusyMs: field('mainBusyMs'),
    writerThreads: field('writerThreads'),
  };
}

/** Untimed: the artifact `deployctl push` stored for `version`, to disk (so tar-xzf reads the same bytes). */
export async function downloadArtifact(ctx: BenchContext, version: string, file: string): Promise<void> {
  const child = new IpcChild('downloader', TRANSFER_CHILD);
  try {
    const args = { endpoint: ctx.endpoint, bucket: BUCKET, key: `${STORE_PREFIX}/${artifactKey(version)}`, file };
    await child.request('download', args, stepTimeoutMs(ctx.mb), `download ${version}'s artifact`);
  } finally {
    await child.close();
  }
}

/** tar-xzf: `tar xzf ARCHIVE -C <fresh dir>` from local disk, spawn → exit. */
export async function measureTarXzf(ctx: BenchContext, archive: string, runDir: string, name = 'xzf'): Promise<Sample & { readonly dir: string }> {
  const dir = path.join(runDir, name);
  mkdirSync(dir);
  const run = await runMeasured('tar', ['xzf', archive, '-C', dir], { label: 'tar xzf', timeoutMs: stepTimeoutMs(ctx.mb), scratch: path.join(runDir, name) });
  return { ms: run.ms, peakRssMb: run.peakRssMb, note: '', dir };
}

/**
 * tar-xzf+sync: `tar xzf` then `sync -f` on its dir (one syncfs of the file system), i.e. tar
 * made as durable as the agent's unpack (which fsyncs the release before renaming it in).
 */
export async function measureTarXzfSynced(ctx: BenchContext, archive: string, runDir: string): Promise<Sample> {
  const tar = await measureTarXzf(ctx, archive, runDir, 'xzf-synced');
  const sync = await runProcess('sync', ['-f', tar.dir], { label: 'sync -f', timeoutMs: stepTimeoutMs(ctx.mb) });
  return { ms: tar.ms + sync.ms, peakRssMb: tar.peakRssMb, note: `tar xzf ${Math.round(tar.ms)} ms + sync -f ${Math.round(sync.ms)} ms` };
}

/** `sync`, untimed, before each timed step: dirty pages of earlier steps are not flushed on its clock. */
export async function flushDisks(): Promise<void> {
  await runProcess('sync', [], { label: 'sync', timeoutMs: 120_000 });
}

/** rm -rf, retrying for a few seconds while a process that was just killed lets go of it. */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
}

export function fmtMb(mb: number | null): string {
  return mb === null ? 'RSS n/a' : `${mb.toFixed(1)} MB`;
}
