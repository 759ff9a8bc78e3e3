import type { Command } from '../run/command';
import { formatBytes } from '../output/format-bytes';
import { parseFlags } from '../args/parse-flags';
import { runningOn } from '../fleet/running-on';
import { openCliStore } from '../args/store-url';
import { formatTable } from '../output/text-table';
import { configNameLists, configNames } from '../output/config-names';
import { EXIT_OK, UsageError } from '../args/usage-error';

export const RELEASES_HELP = `Usage: deployctl releases [options]

Lists every release in the store (releases/<version>.json), oldest first: its
version, when and by whom it was pushed, its size and the start of its sha256,
whether desired.json names it as the desired or the previous version, the
names of its env and secrets (never their values), and which instances report
running it.

Options:
  --store URL          release store: s3://BUCKET/PREFIX, file:///path or a path
                       (default: $DEPLOYCTL_STORE, else "store" in ./deployctl.json)
  --json               print {"releases": [...]} on stdout instead of a table
  -h, --help           show this help

Exit status: 0 when the store could be read, 1 otherwise, 2 on bad arguments.`;

const OPTIONS = {
  store: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Enough of a sha256 to tell releases apart at a glance. */
const SHA_SHORT = 12;

export const releasesCommand: Command = {
  name: 'releases',
  synopsis: 'list the releases in the store, which is desired, previous, running where',
  help: RELEASES_HELP,
  run: async (args, io) => {
    const { values, positionals } = parseFlags('releases', args, OPTIONS);
    if (positionals[0] !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])} (see 'deployctl releases --help')`);
    const store = await openCliStore(values.store, io);
    const [manifests, desired, statuses] = await Promise.all([store.listManifests(), store.readDesired(), store.listInstanceStatuses()]);
    const running = runningOn(statuses);
    const rows = manifests.map((m) => ({
      manifest: m,
      desired: desired?.value.version === m.version,
      previous: desired?.value.previous === m.version,
      instances: running.get(m.version) ?? [],
    }));
    if (values.json === true) {
      // env and secrets by name only: values stay in the manifest.
      const releases = rows.map((r) => ({ ...r.manifest, ...configNameLists(r.manifest), desired: r.desired, previous: r.previous, instances: r.instances }));
      io.stdout.write(`${JSON.stringify({ releases })}\n`);
      return EXIT_OK;
    }
    if (rows.length === 0) {
      io.stdout.write(`no releases in ${store.url} yet (deployctl push <version> --dir PATH)\n`);
      return EXIT_OK;
    }
    const table = rows.map((r) => [
      r.manifest.version,
      r.manifest.createdAt,
      r.manifest.createdBy,
      formatBytes(r.manifest.size),
      r.manifest.sha256.slice(0, SHA_SHORT),
      marks(r),
      configNames(r.manifest) || '-',
      r.instances.join(', '),
    ]);
    io.stdout.write(`${formatTable(['VERSION', 'CREATED', 'BY', 'SIZE', 'SHA256', 'MARKS', 'CONFIG', 'RUNNING ON'], table).join('\n')}\n`);
    const missing = desired && !manifests.some((m) => m.version === desired.value.version);
    if (missing) io.stdout.write(`warning: desired.json names ${desired.value.version}, which has no manifest in ${store.url}\n`);
    return EXIT_OK;
  },
};

function marks(row: { readonly desired: boolean; readonly previous: boolean }): string {
  return [row.desired ? 'desired' : '', row.previous ? 'previous' : ''].filter((m) => m !== '').join(',');
}
