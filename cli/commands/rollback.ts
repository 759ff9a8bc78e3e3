import { describeError } from '../../agent/errors';
import { assertValidVersion } from '../../agent/store/version-name';
import type { CliIo } from '../run/cli-io';
import type { Command } from '../run/command';
import { withJsonFailure } from '../run/json-failure';
import { parseFlags } from '../args/parse-flags';
import { rollBack } from '../publish/roll-back';
import { createdBy } from '../publish/created-by';
import { openCliStore } from '../args/store-url';
import { EXIT_OK, UsageError } from '../args/usage-error';
import { liveLine } from '../fleet/wait-for-rollout';
import { parseRolloutFlags, ROLLOUT_FLAGS, ROLLOUT_FLAGS_HELP, type RolloutRequest } from '../fleet/rollout-flags';
import { policyFor, prepareRolloutWait } from '../fleet/rollout-wait';
import { DEFAULT_STALE_AFTER_TEXT, parseWaitFlags, WAIT_FLAGS, type WaitOptions } from '../fleet/wait-options';
import { describePolicy } from '../output/policy-text';

export const ROLLBACK_HELP = `Usage: deployctl rollback [<version>] [options]

Points desired.json back at the newest version that went live on the fleet
before the desired one (agents record every version that goes live in
live/<version>.json), or at <version>, which must be in the store and must
have gone live unless --force. It prints what it chose and why. Rolling back
to the version that is desired already changes nothing (exit 0). Nothing is
uploaded. The write is conditional on the desired.json that was read: when a
push or another rollback lands at the same moment, the rollback fails and
changes nothing.

Options:
  --store URL          release store: s3://BUCKET/PREFIX, file:///path or a path
                       (default: $DEPLOYCTL_STORE, else "store" in ./deployctl.json)
  --force              roll back to a named version that never went live
${ROLLOUT_FLAGS_HELP}
  --wait               then wait until every live instance runs it: idle, all
                       workers ready; fail as soon as an instance fails it (with a
                       rollout policy: follow it, print each stage, fail on a revert)
  --timeout DUR        stop waiting after this (default 10m); 90s, 10m, 1h or ms
  --stale-after DUR    instances whose report is older do not count (default ${DEFAULT_STALE_AFTER_TEXT});
                       with a rollout, one that goes stale mid-deploy counts as failed
  --json               print one JSON object on stdout instead of text
  -h, --help           show this help

Exit status: 0 on success (with --wait: once the fleet runs the version), 1 on
failure (with --wait: an instance failed it, the fleet was reverted, or the
timeout passed), 2 on bad arguments.
Examples: deployctl rollback
          deployctl rollback v41 --wait --timeout 5m`;

const OPTIONS = {
  store: { type: 'string' },
  force: { type: 'boolean' },
  json: { type: 'boolean' },
  ...ROLLOUT_FLAGS,
  ...WAIT_FLAGS,
  help: { type: 'boolean', short: 'h' },
} as const;

interface RollbackArgs {
  readonly target: string | undefined;
  readonly store: string | undefined;
  readonly force: boolean;
  readonly json: boolean;
  readonly wait: WaitOptions | undefined;
  readonly rollout: RolloutRequest | undefined;
}

export const rollbackCommand: Command = {
  name: 'rollback',
  synopsis: 'point desired.json back at the last version that went live (or a named one)',
  help: ROLLBACK_HELP,
  run: async (args, io) => {
    const parsed = parseRollbackArgs(args);
    return withJsonFailure(parsed.json, io.stdout, () => rollback(parsed, io));
  },
};

async function rollback(args: RollbackArgs, io: CliIo): Promise<number> {
  const store = await openCliStore(args.store, io);
  const by = createdBy(io.env);
  const waitFor = args.wait ? await prepareRolloutWait(store, args.wait, io.stderr, by) : undefined;
  const policy = await policyFor(store, args.rollout, by);
  const result = await rollBack(store, {
    ...(args.target === undefined ? {} : { target: args.target }),
    force: args.force,
    ...(policy ? { rollout: policy } : {}),
    by,
  });
  if (result.noop) {
    if (args.json) io.stdout.write(`${JSON.stringify({ ok: true, noop: true, version: result.version, reason: result.reason })}\n`);
    else io.stdout.write(`${result.reason}\n`);
    return EXIT_OK;
  }
  if (!args.json) {
    io.stdout.write(`rolling back to ${result.version}: ${result.reason}\n`);
    io.stdout.write(`desired.json -> ${result.version} (was ${result.replaced})\n`);
    if (result.rollout) io.stdout.write(`rollout ${result.rollout.id}: ${describePolicy(result.rollout)}\n`);
  }
  const instances = await waitFor?.(result.version, result.rollout);
  if (args.json) {
    const summary = {
      ok: true,
      noop: false,
      version: result.version,
      previous: result.replaced,
      reason: result.reason,
      ...(result.rollout ? { rollout: result.rollout } : {}),
      ...(instances ? { instances: instances.map((i) => i.instanceId) } : {}),
    };
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
  if (values.force === true && target === undefined) throw new UsageError('--force only applies to a named version: deployctl rollback <version> --force');
  if (values.store !== undefined && values.store.trim() === '') throw new UsageError('--store must not be empty');
  return {
    target,
    store: values.store,
    force: values.force === true,
    json: values.json === true,
    wait: parseWaitFlags('rollback', values),
    rollout: parseRolloutFlags(values),
  };
}
