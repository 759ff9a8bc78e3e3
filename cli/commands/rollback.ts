import { describeError } from '../../agent/errors';
import { assertValidVersion } from '../../agent/store/version-name';
import type { CliIo } from '../run/cli-io';
import type { Command } from '../run/command';
import { withJsonFailure } from '../run/json-failure';
import { parseFlags } from '../args/parse-flags';
import { rollBack } from '../publish/roll-back';
import { openCliStore } from '../args/store-url';
import { EXIT_OK, UsageError } from '../args/usage-error';
import { liveLine, prepareWait } from '../fleet/wait-for-rollout';
import { DEFAULT_STALE_AFTER_TEXT, parseWaitFlags, WAIT_FLAGS, type WaitOptions } from '../fleet/wait-options';

export const ROLLBACK_HELP = `Usage: deployctl rollback [<version>] [options]

Points desired.json back at the version it names as "previous", or at
<version> (which must have a manifest in the store), and sets "previous" to the
version it replaces; every agent then converges to it. Nothing is uploaded:
the release is in the store already. The write is conditional on the
desired.json that was read: when a push or another rollback lands at the same
moment, the rollback fails and changes nothing.

Options:
  --store URL          release store: s3://BUCKET/PREFIX, file:///path or a path
                       (default: $DEPLOYCTL_STORE, else "store" in ./deployctl.json)
  --wait               then wait until every live instance runs it: idle, all
                       workers ready; fail as soon as an instance fails it
  --timeout DUR        stop waiting after this (default 10m); 90s, 10m, 1h or ms
  --stale-after DUR    instances whose report is older do not count (default ${DEFAULT_STALE_AFTER_TEXT})
  --json               print one JSON object on stdout instead of text
  -h, --help           show this help

Exit status: 0 on success (with --wait: once the fleet runs the version), 1 on
failure (with --wait: an instance failed it, or the timeout passed), 2 on bad
arguments.
Examples: deployctl rollback
          deployctl rollback v41 --wait --timeout 5m`;

const OPTIONS = {
  store: { type: 'string' },
  json: { type: 'boolean' },
  ...WAIT_FLAGS,
  help: { type: 'boolean', short: 'h' },
} as const;

interface RollbackArgs {
  readonly target: string | undefined;
  readonly store: string | undefined;
  readonly json: boolean;
  readonly wait: WaitOptions | undefined;
}

export const rollbackCommand: Command = {
  name: 'rollback',
  synopsis: 'point desired.json back at the previous (or a named) version',
  help: ROLLBACK_HELP,
  run: async (args, io) => {
    const parsed = parseRollbackArgs(args);
    return withJsonFailure(parsed.json, io.stdout, () => rollback(parsed, io));
  },
};

async function rollback(args: RollbackArgs, io: CliIo): Promise<number> {
  const store = await openCliStore(args.store, io);
  const waitFor = args.wait ? await prepareWait(store, args.wait, io.stderr) : undefined;
  const result = await rollBack(store, args.target === undefined ? {} : { target: args.target });
  if (!args.json) io.stdout.write(`desired.json -> ${result.version} (was ${result.replaced})\n`);
  const instances = await waitFor?.(result.version);
  if (args.json) {
    const summary = { ok: true, version: result.version, previous: result.replaced, ...(instances ? { instances: instances.map((i) => i.instanceId) } : {}) };
    io.stdout.write(`${JSON.stringify(summary)}\n`);
  } else if (instances) {
    io.stdout.write(`${liveLine(result.version, instances)}\n`);
  }
  return EXIT_OK;
}

function parseRollbackArgs(args: string[]): RollbackArgs {
  const { values, positionals } = parseFlags('rollback', args, OPTIONS);
  const [target, extra] = positionals;
  if (extra !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(extra)} (see 'deployctl rollback --help')`);
  if (target !== undefined) {
    try {
      assertValidVersion(target);
    } catch (error) {
      throw new UsageError(describeError(error), { cause: error });
    }
  }
  if (values.store !== undefined && values.store.trim() === '') throw new UsageError('--store must not be empty');
  return { target, store: values.store, json: values.json === true, wait: parseWaitFlags('rollback', values) };
}
