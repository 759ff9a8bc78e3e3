import path from 'node:path';
import { DeployError, describeError } from '../../agent/errors';
import type { ReleaseStore } from '../../agent/store/release-store';
import { readReleaseConfig } from '../args/release-config-flags';
import { configNames } from '../output/config-names';
import { strategySchema, type Manifest, type Strategy } from '../../agent/store/documents';
import { assertValidVersion } from '../../agent/store/version-name';
import { appDirSource, archiveFileSource, type ArtifactSource } from '../pack/artifact-source';
import type { CliIo } from '../run/cli-io';
import type { Command } from '../run/command';
import { createdBy } from '../publish/created-by';
import { formatBytes } from '../output/format-bytes';
import { withJsonFailure } from '../run/json-failure';
import { parseFlags } from '../args/parse-flags';
import { createPushProgress } from '../output/progress';
import { assertVersionFree, publishRelease } from '../publish/publish-release';
import { readSigningKey, signManifest } from '../publish/sign-manifest';
import { openCliStore } from '../args/store-url';
import { EXIT_OK, UsageError } from '../args/usage-error';
import { liveLine } from '../fleet/wait-for-rollout';
import { parseRolloutFlags, ROLLOUT_FLAGS, ROLLOUT_FLAGS_HELP, type RolloutRequest } from '../fleet/rollout-flags';
import { policyFor, prepareRolloutWait } from '../fleet/rollout-wait';
import { DEFAULT_STALE_AFTER_TEXT, parseWaitFlags, WAIT_FLAGS, type WaitOptions } from '../fleet/wait-options';
import { describePolicy } from '../output/policy-text';

export const PUSH_HELP = `Usage: deployctl push <version> (--dir PATH | --file FILE.tar.gz | --from VERSION) [options]

Publishes a release to the release store and points desired.json at it; every
agent then converges to it. With --dir the app directory (node_modules
included) is packed into a gzip'd tar as it is uploaded; with --file a ready
.tar.gz is uploaded as is; with --from the new version reuses an existing
release's artifact (no upload, same sha256), for a configuration change that
rolls out like any deploy. The artifact is hashed (sha256) while it streams,
and its manifest is written only once it is complete. Versions are immutable:
pushing a version that exists fails and changes nothing.

Options:
  --dir PATH           app directory to pack (.git is skipped; symlinks must stay
                       inside it; sockets, FIFOs and devices are refused)
  --file FILE.tar.gz   ready-made gzip'd tar to upload instead of --dir
  --from VERSION       reuse the artifact (and entry) of this release in the store
  --env-file FILE      the release's environment, dotenv syntax (KEY=value lines)
  --env KEY=VALUE      one variable of the release's environment (repeatable;
                       wins over --env-file); workers and hooks get app.env
                       with the release's env over it
  --secret KEY=ssm:/PATH
                       a secret the agent reads from SSM Parameter Store at
                       deploy time (repeatable); only the reference is stored
                       (--env, --env-file and --secret are not taken over by --from)
  --store URL          release store: s3://BUCKET/PREFIX, file:///path or a path
                       (default: $DEPLOYCTL_STORE, else "store" in ./deployctl.json)
  --strategy NAME      rolling (default) or service-out
  --entry FILE         entry file, relative to the app (default: "main" of the
                       app's package.json, else server.js; checked to exist)
  --sign-key FILE      sign the manifest with this ed25519 private key (PEM, from
                       'deployctl keygen'); agents with trustedKeys deploy only
                       releases signed by one of their keys
${ROLLOUT_FLAGS_HELP}
  --wait               then wait until every live instance runs it: idle, all
                       workers ready; fail as soon as an instance fails it (with a
                       rollout policy: follow it, print each stage, fail on a revert)
  --timeout DUR        stop waiting after this (default 10m); 90s, 10m, 1h or ms
  --stale-after DUR    instances whose report is older do not count (default ${DEFAULT_STALE_AFTER_TEXT})
  --json               print one JSON object on stdout instead of text
  -h, --help           show this help

Environment:
  DEPLOYCTL_STORE       the store when --store is not given
  DEPLOYCTL_CREATED_BY  the manifest's createdBy (default: the CI run, else user@host)
  DEPLOYCTL_SIGN_KEY    the signing key file when --sign-key is not given

desired.json is flipped only if nobody changed it during the push; if someone
did, the release stays stored and 'deployctl rollback <version>' makes it desired.
Without any of the rollout flags every instance takes the version at once and a
failure is not reverted (as before rollouts existed).

Exit status: 0 on success (with --wait: once the fleet runs the version), 1 on
failure (with --wait: an instance failed it, or the timeout passed), 2 on bad
arguments.
Example: deployctl push v42 --dir ./build --store s3://my-bucket/my-app --wait`;

const OPTIONS = {
  dir: { type: 'string' },
  file: { type: 'string' },
  from: { type: 'string' },
  'env-file': { type: 'string' },
  env: { type: 'string', multiple: true },
  secret: { type: 'string', multiple: true },
  store: { type: 'string' },
  strategy: { type: 'string' },
  entry: { type: 'string' },
  'sign-key': { type: 'string' },
  json: { type: 'boolean' },
  ...ROLLOUT_FLAGS,
  ...WAIT_FLAGS,
  help: { type: 'boolean', short: 'h' },
} as const;

interface PushArgs {
  readonly version: string;
  readonly source: { readonly kind: 'dir' | 'file' | 'from'; readonly path: string };
  readonly config: { readonly envFile: string | undefined; readonly env: readonly string[]; readonly secret: readonly string[] };
  readonly store: string | undefined;
  readonly strategy: Strategy;
  readonly entry: string | undefined;
  readonly signKey: string | undefined;
  readonly json: boolean;
  readonly wait: WaitOptions | undefined;
  readonly rollout: RolloutRequest | undefined;
}

export const pushCommand: Command = {
  name: 'push',
  synopsis: 'publish a release (--dir or --file) and make it the desired version',
  help: PUSH_HELP,
  run: async (args, io) => {
    const parsed = parsePushArgs(args);
    return withJsonFailure(parsed.json, io.stdout, () => push(parsed, io));
  },
};

async function push(args: PushArgs, io: CliIo): Promise<number> {
  // A bad key is refused before anything is read or uploaded.
  const signKeyFile = args.signKey ?? nonEmpty(io.env['DEPLOYCTL_SIGN_KEY']);
  const signingKey = signKeyFile === undefined ? undefined : await readSigningKey(signKeyFile, io.cwd);
  const config = await readReleaseConfig(args.config, io.cwd);
  let newStoreDir: string | undefined;
  const store = await openCliStore(args.store, io, { missingDir: 'create', onNewStore: (dir) => (newStoreDir = dir) });
  await assertVersionFree(store, args.version);
  const artifact = await artifactOf(args, store, io.cwd);

  const by = createdBy(io.env);
  const waitFor = args.wait ? await prepareRolloutWait(store, args.wait, io.stderr, by) : undefined;
  const rollout = (await policyFor(store, args.rollout, by))?.(args.version);
  const progress = createPushProgress(io);
  let result;
  try {
    result = await publishRelease(
      store,
      {
        version: args.version,
        strategy: args.strategy,
        createdBy: by,
        artifact,
        config,
        ...(rollout ? { rollout } : {}),
        ...(signingKey ? { sign: (manifest: Manifest) => signManifest(manifest, signingKey) } : {}),
      },
      progress,
    );
  } finally {
    progress.finish(undefined);
  }
  const { manifest, previous } = result;
  if (!args.json) {
    if (newStoreDir !== undefined) io.stdout.write(`created a new store in ${newStoreDir}\n`);
    io.stdout.write(`pushed ${manifest.version}: ${manifest.artifact}, ${formatBytes(manifest.size)}, sha256 ${manifest.sha256}\n`);
    if (manifest.keyId !== undefined) io.stdout.write(`signed with key ${manifest.keyId}\n`);
    const names = configNames(manifest);
    if (names !== '') io.stdout.write(`${names}\n`);
    io.stdout.write(`desired.json -> ${manifest.version}${previous === undefined ? '' : ` (was ${previous})`}\n`);
    if (rollout) io.stdout.write(`rollout ${rollout.id}: ${describePolicy(rollout)}\n`);
  }
  const instances = await waitFor?.(manifest.version, rollout);
  if (args.json) {
    const summary = {
      ok: true,
      version: manifest.version,
      sha256: manifest.sha256,
      size: manifest.size,
      ...(manifest.keyId === undefined ? {} : { keyId: manifest.keyId }),
      previous: previous ?? null,
      ...(result.lastGood === undefined ? {} : { lastGood: result.lastGood }),
      ...(rollout ? { rollout } : {}),
      ...(instances ? { instances: instances.map((i) => i.instanceId) } : {}),
    };
    io.stdout.write(`${JSON.stringify(summary)}\n`);
  } else if (instances) {
    io.stdout.write(`${liveLine(manifest.version, instances)}\n`);
  }
  return EXIT_OK;
}

function parsePushArgs(args: string[]): PushArgs {
  const { values, positionals } = parseFlags('push', args, OPTIONS);
  const [version, extra] = positionals;
  if (version === undefined) throw new UsageError("missing <version> (see 'deployctl push --help')");
  if (extra !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(extra)} (see 'deployctl push --help')`);
  try {
    assertValidVersion(version);
  } catch (error) {
    throw new UsageError(describeError(error), { cause: error });
  }
  if ([values.dir, values.file, values.from].filter((v) => v !== undefined).length !== 1) {
    throw new UsageError("give exactly one of --dir PATH, --file FILE.tar.gz or --from VERSION (see 'deployctl push --help')");
  }
  if (values.from !== undefined && values.entry !== undefined) {
    throw new UsageError('--entry cannot be changed with --from: the new version runs the same artifact; push it with --dir or --file instead');
  }
  if (values.from !== undefined) {
    try {
      assertValidVersion(values.from);
    } catch (error) {
      throw new UsageError(`--from: ${describeError(error)}`, { cause: error });
    }
  }
  const strategy = strategySchema.safeParse(values.strategy ?? 'rolling');
  if (!strategy.success) {
    throw new UsageError(`--strategy must be rolling or service-out, not ${JSON.stringify(values.strategy)}`);
  }
  for (const [flag, value] of [['dir', values.dir], ['file', values.file], ['store', values.store], ['entry', values.entry], ['sign-key', values['sign-key']], ['env-file', values['env-file']]] as const) {
    if (value !== undefined && value.trim() === '') throw new UsageError(`--${flag} must not be empty`);
  }
  return {
    version,
    source:
      values.dir !== undefined ? { kind: 'dir', path: values.dir } : values.file !== undefined ? { kind: 'file', path: values.file } : { kind: 'from', path: values.from ?? '' },
    config: { envFile: values['env-file'], env: values.env ?? [], secret: values.secret ?? [] },
    store: values.store,
    strategy: strategy.data,
    entry: values.entry,
    signKey: values['sign-key'],
    json: values.json === true,
    wait: parseWaitFlags('push', values),
    rollout: parseRolloutFlags(values),
  };
}

/** What the new version's artifact is: packed from --dir, a --file, or the artifact of the --from release. */
async function artifactOf(args: PushArgs, store: ReleaseStore, cwd: string): Promise<ArtifactSource | { reuse: Manifest }> {
  if (args.source.kind === 'from') {
    const existing = await store.readManifest(args.source.path);
    if (existing === undefined) {
      throw new DeployError('FROM_NOT_FOUND', `--from ${args.source.path}: there is no release ${args.source.path} in ${store.url} ('deployctl releases' lists them)`);
    }
    return { reuse: existing };
  }
  const sourcePath = path.resolve(cwd, args.source.path);
  return args.source.kind === 'dir' ? appDirSource(sourcePath, args.entry) : archiveFileSource(sourcePath, args.entry);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
