/**
 * Child process: the agent's fetch + unpack, exactly as agent/deploy/deployer.ts
 * does it: open the store (S3), read the manifest, openArtifact, unpackRelease
 * (size + sha256 checks, safe extraction into a temp dir, flush, rename) into
 * `releasesDir`.
 *
 *   fetch {endpoint, storeUrl, version, releasesDir, profile?} → {ms, files, bytes, artifactBytes, peakRssMb, profile}
 *
 * ms: from reading the manifest to unpackRelease resolving, inside this process.
 * The agent is a resident process that polls desired.json through the same store
 * (one S3 client, its connection kept alive) every few seconds: so the store is
 * opened and read once before the clock starts (its first request loads the rest of
 * the SDK, resolves credentials and connects), as the agent's start-up and polling
 * did before any deploy.
 * peakRssMb: this process's RSS, sampled every 20 ms since it started.
 * profile: with `profile: true`, where the time went, per thread (unpack-profile.ts wraps some
 * of the agent's functions to time them: a cost of its own on the main thread, so the bench's
 * timed runs go without it and one more run is profiled); otherwise null.
 * Closing the channel exits.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { openStore } from '../../../agent/store/open-store';
import { defaultUnpackLimits, unpackRelease } from '../../../agent/release/unpack-release';
import { serveIpc } from '../reload/ipc-serve';
import { OwnPeakRss } from './rss-sampler';
import { asRecord } from '../reload/ipc-protocol';
import { s3Options, stringArgs } from './s3-args';
import { UnpackProfiler } from './unpack-profile';

const rss = new OwnPeakRss();

async function fetch(args: unknown): Promise<unknown> {
  const { endpoint, storeUrl, version, releasesDir } = stringArgs(args, 'fetch', ['endpoint', 'storeUrl', 'version', 'releasesDir']);
  const profiler = asRecord(args, 'fetch')['profile'] === true ? new UnpackProfiler() : undefined;
  profiler?.install();
  const store = openStore(storeUrl, releasesDir, s3Options(endpoint));
  await store.readDesired();
  const cpuProfile = await startCpuProfile();
  profiler?.begin();
  const started = performance.now();
  const manifest = await store.readManifest(version);
  if (!manifest) throw new Error(`no manifest for ${version} in ${storeUrl}`);
  const source = await store.openArtifact(manifest);
  const unpacked = await unpackRelease({
    source,
    expected: { sha256: manifest.sha256, size: manifest.size },
    releasesDir,
    version,
    limits: defaultUnpackLimits,
  });
  const ms = performance.now() - started;
  const profile = profiler?.end() ?? null;
  await cpuProfile?.stop(`fetch-unpack-${version}`);
  if (unpacked.reused) throw new Error(`${version} was already unpacked in ${releasesDir}: not a fresh dir`);
  return { ms, files: unpacked.files, bytes: unpacked.bytes, artifactBytes: manifest.size, peakRssMb: rss.peakMb(), profile };
}

/**
 * BENCH_CPU_PROFILE=DIR: a V8 CPU profile of this thread over the timed part only (from the
 * manifest read to the unpack's end), written to DIR/fetch-unpack-<version>.cpuprofile, for
 * explaining where the main thread's time goes. Not used by `npm run bench:artifact` itself.
 */
async function startCpuProfile(): Promise<{ stop: (name: string) => Promise<void> } | undefined> {
  const dir = process.env['BENCH_CPU_PROFILE'];
  if (dir === undefined || dir === '') return undefined;
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object): Promise<unknown> =>
    new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 200 });
  await post('Profiler.start');
  return {
    stop: async (name) => {
      const result = (await post('Profiler.stop')) as { profile: unknown };
      writeFileSync(path.join(dir, `${name}.cpuprofile`), JSON.stringify(result.profile));
      session.disconnect();
    },
  };
}

serveIpc({ fetch }, () => process.exit(0));
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));
