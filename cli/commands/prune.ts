import { DeployError } from '../../agent/errors';
import { listLive } from '../../agent/rollout/rollout-records';
import { artifactKey, type Manifest } from '../../agent/store/documents';
import type { Command } from '../run/command';
import { formatBytes } from '../output/format-bytes';
import { parseFlags } from '../args/parse-flags';
import { planPrune, type KeptRelease } from '../publish/prune-plan';
import { openCliStore } from '../args/store-url';
import { EXIT_OK, UsageError } from '../args/usage-error';

export const PRUNE_HELP = `Usage: deployctl prune --keep N [options]

Removes old releases from the store (the manifest first, then the artifact),
keeping the N newest by creation time that went live on the fleet (releases
that never went live go first), and never the desired version, the previous
version, lastGood, or any version an instance reports running (stale reports
included: that instance may come back and serve it).

Options:
  --keep N             how many of the newest releases to keep (1 or more)
  --store URL          release store: s3://BUCKET/PREFIX, file:///path or a path
                       (default: $DEPLOYCTL_STORE, else "store" in ./deployctl.json)
  --dry-run            only say what would be removed
  --json               print {"dryRun", "removed": [...], "kept": [...]} on stdout
  -h, --help           show this help

Exit status: 0 on success, 1 on failure, 2 on bad arguments.
Example: deployctl prune --keep 10 --dry-run`;

const OPTIONS = {
  keep: { type: 'string' },
  store: { type: 'string' },
  'dry-run': { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const pruneCommand: Command = {
  name: 'prune',
  synopsis: 'remove old releases from the store (--keep N; never-live ones first; never desired, previous or running)',
  help: PRUNE_HELP,
  run: async (args, io) => {
    const { values, positionals } = parseFlags('prune', args, OPTIONS);
    if (positionals[0] !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])} (see 'deployctl prune --help')`);
    const keep = parseKeep(values.keep);
    const dryRun = values['dry-run'] === true;
    const json = values.json === true;
    const store = await openCliStore(values.store, io);
    const [manifests, desired, statuses, live] = await Promise.all([store.listManifests(), store.readDesired(), store.listInstanceStatuses(), listLive(store.docs)]);
    // Before any went-live record (agents older than rollouts) every release counts alike.
    const wentLive = live.length === 0 ? undefined : new Set(live.map((r) => r.version));
    const plan = planPrune({ manifests, keep, desired: desired?.value, statuses, ...(wentLive ? { wentLive } : {}) });
    if (!dryRun && plan.remove.length > 0) {
      // A rollback to one of them between the plan and the deletes would leave the fleet without its release.
      const again = await store.readDesired();
      if (again?.etag !== desired?.etag) {
        throw new DeployError('STORE_CONFLICT', "desired.json changed while prune was planning (a push or rollback); nothing was removed; run 'deployctl prune' again");
      }
    }
    for (const manifest of plan.remove) {
      // A kept release pushed with --from may run on this one's artifact: then only the manifest goes.
      const users = plan.kept.filter((k) => k.manifest.artifact === artifactKey(manifest.version)).map((k) => k.manifest.version);
      if (!dryRun) await store.deleteRelease(manifest.version, { keepArtifact: users.length > 0 });
      const artifactNote = users.length > 0 ? `; its artifact stays, ${users.join(', ')} use${users.length === 1 ? 's' : ''} it` : '';
      if (!json) io.stdout.write(`${dryRun ? 'would remove' : 'removed'} ${describe(manifest)}${artifactNote}\n`);
    }
    if (json) {
      const kept = plan.kept.map((k) => ({ version: k.manifest.version, reasons: k.reasons }));
      io.stdout.write(`${JSON.stringify({ ok: true, dryRun, removed: plan.remove.map((m) => m.version), kept })}\n`);
    } else {
      const none = plan.remove.length === 0 ? `nothing to remove from ${store.url}; ` : '';
      io.stdout.write(`${none}kept ${plan.kept.length}: ${plan.kept.map(keptText).join(', ') || 'none'}\n`);
    }
    return EXIT_OK;
  },
};

function parseKeep(text: string | undefined): number {
  if (text === undefined) throw new UsageError("missing --keep N: how many of the newest releases to keep (see 'deployctl prune --help')");
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new UsageError(`--keep must be a whole number of 1 or more, not ${JSON.stringify(text)}`);
  return Number(text);
}

function describe(manifest: Manifest): string {
  return `${manifest.version} (created ${manifest.createdAt}, ${formatBytes(manifest.size)})`;
}

function keptText(kept: KeptRelease): string {
  return `${kept.manifest.version} (${kept.reasons.join(', ')})`;
}
