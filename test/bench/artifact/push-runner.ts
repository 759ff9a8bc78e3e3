/**
 * `node push-runner.js VERSION DIR STORE_URL`: the push side when the CLI
 * cannot be pointed at a local S3 endpoint (cli/args/store-url.ts without
 * DEPLOYCTL_S3_ENDPOINT support). It runs what `deployctl push VERSION --dir
 * DIR --store STORE_URL` runs (cli/commands/push.ts): assertVersionFree,
 * appDirSource, plain progress lines, publishRelease; only the store is
 * opened with `openStore(url, cwd, {endpoint, forcePathStyle, region})` from
 * DEPLOYCTL_S3_ENDPOINT / DEPLOYCTL_S3_FORCE_PATH_STYLE / AWS_REGION.
 * Started like the CLI (a fresh node process, RSS sampled by rss-preload.js).
 */
import path from 'node:path';
import { openStore } from '../../../agent/store/open-store';
import { appDirSource } from '../../../cli/pack/artifact-source';
import { createdBy } from '../../../cli/publish/created-by';
import { createPushProgress } from '../../../cli/output/progress';
import { assertVersionFree, publishRelease } from '../../../cli/publish/publish-release';

async function main(): Promise<void> {
  const [version, dir, storeUrl] = process.argv.slice(2);
  if (version === undefined || dir === undefined || storeUrl === undefined) throw new Error('usage: push-runner.js VERSION DIR STORE_URL');
  const endpoint = process.env['DEPLOYCTL_S3_ENDPOINT'];
  if (endpoint === undefined) throw new Error('DEPLOYCTL_S3_ENDPOINT is not set');
  const store = openStore(storeUrl, process.cwd(), {
    endpoint,
    forcePathStyle: process.env['DEPLOYCTL_S3_FORCE_PATH_STYLE'] === '1',
    region: process.env['AWS_REGION'] ?? 'us-east-1',
  });
  await assertVersionFree(store, version);
  const artifact = await appDirSource(path.resolve(dir), undefined);
  const progress = createPushProgress({ stderr: process.stderr, isTTY: false });
  try {
    const { manifest } = await publishRelease(store, { version, strategy: 'rolling', createdBy: createdBy(process.env), artifact }, progress);
    process.stdout.write(`pushed ${manifest.version}: ${manifest.artifact}, ${manifest.size} bytes, sha256 ${manifest.sha256}\n`);
  } finally {
    progress.finish(undefined);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`push-runner: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
