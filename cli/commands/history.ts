import { readHistory, type HistoryEntry } from '../../agent/rollout/history';
import { listFailures, type FailureRecord } from '../../agent/rollout/rollout-records';
import type { ReleaseStore } from '../../agent/store/release-store';
import type { Command } from '../run/command';
import { parseFlags } from '../args/parse-flags';
import { openCliStore } from '../args/store-url';
import { EXIT_OK, UsageError } from '../args/usage-error';
import { describePolicy } from '../output/policy-text';
import { formatTable, shorten } from '../output/text-table';

export const HISTORY_HELP = `Usage: deployctl history [options]

Every push, rollback, revert and abort, newest first: the version, who, when,
the rollout policy, the outcome and the instances that failed it. Read from
history/ in the store (written by deployctl, and by the agent whose revert
won); the outcome of a rollout comes from its records: reverted (by a later
revert or abort), superseded, failed (failures without a revert), or current.

Options:
  --store URL          release store: s3://BUCKET/PREFIX, file:///path or a path
                       (default: $DEPLOYCTL_STORE, else "store" in ./deployctl.json)
  --json               print {"history": [...]} on stdout
  -h, --help           show this help

Exit status: 0 on success, 1 on failure, 2 on bad arguments.
Example: deployctl history --json`;

const OPTIONS = {
  store: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

interface HistoryRow {
  readonly kind: HistoryEntry['kind'];
  readonly version: string;
  readonly from: string | null;
  readonly by: string;
  readonly at: string;
  readonly policy: string | null;
  readonly outcome: string;
  readonly failed: readonly { readonly instanceId: string; readonly error: string }[];
  readonly reason?: string;
}

export const historyCommand: Command = {
  name: 'history',
  synopsis: 'every push, rollback and revert, newest first (who, when, policy, outcome)',
  help: HISTORY_HELP,
  run: async (args, io) => {
    const { values, positionals } = parseFlags('history', args, OPTIONS);
    if (positionals[0] !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])} (see 'deployctl history --help')`);
    const store = await openCliStore(values.store, io);
    const rows = await historyRows(store);
    if (values.json === true) {
      io.stdout.write(`${JSON.stringify({ history: rows })}\n`);
      return EXIT_OK;
    }
    if (rows.length === 0) {
      io.stdout.write(`no history in ${store.url} yet\n`);
      return EXIT_OK;
    }
    const table = formatTable(
      ['WHEN', 'WHAT', 'VERSION', 'FROM', 'BY', 'POLICY', 'OUTCOME'],
      rows.map((r) => [r.at, r.kind, r.version, r.from ?? '-', r.by, r.policy ?? '-', shorten(outcomeText(r), 120)]),
    );
    io.stdout.write(`${table.join('\n')}\n`);
    return EXIT_OK;
  },
};

/** The history with each entry's outcome worked out. */
export async function historyRows(store: ReleaseStore): Promise<HistoryRow[]> {
  const [entries, desired] = await Promise.all([readHistory(store.docs), store.readDesired()]);
  const rows: HistoryRow[] = [];
  for (const [i, entry] of entries.entries()) {
    const failures: FailureRecord[] = entry.rollout ? await listFailures(store.docs, entry.rollout.id) : [];
    const later = entries.slice(0, i);
    const revert = entry.rollout ? later.find((e) => e.revertedRollout === entry.rollout?.id) : undefined;
    const current = i === entries.findIndex((e) => e.kind !== 'revert' && e.kind !== 'abort') && desired?.value.version === entry.version;
    const outcome =
      entry.kind === 'revert' || entry.kind === 'abort'
        ? `${entry.kind === 'abort' ? 'aborted' : 'reverted'} from ${entry.from ?? '?'}`
        : revert
          ? `${revert.kind === 'abort' ? 'aborted' : 'reverted'} to ${revert.version}`
          : entry.rollout && failures.length >= entry.rollout.maxFailuresCount
            ? 'failed'
            : current
              ? 'current'
              : i > 0
                ? 'superseded'
                : 'desired changed by hand';
    rows.push({
      kind: entry.kind,
      version: entry.version,
      from: entry.from,
      by: entry.by,
      at: entry.at,
      policy: entry.rollout ? describePolicy(entry.rollout) : null,
      outcome,
      failed: failures.map((f) => ({ instanceId: f.instanceId, error: f.error })),
      ...(entry.reason ? { reason: entry.reason } : revert?.reason ? { reason: revert.reason } : {}),
    });
  }
  return rows;
}

function outcomeText(row: HistoryRow): string {
  const failed = row.failed.length > 0 ? `; failed on ${row.failed.map((f) => f.instanceId).join(', ')}` : '';
  const reason = row.reason ? ` (${row.reason})` : '';
  return `${row.outcome}${reason}${failed}`;
}
