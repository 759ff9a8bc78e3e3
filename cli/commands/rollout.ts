import { DeployError, describeError } from '../../agent/errors';
import { revertDesired } from '../../agent/rollout/revert';
import { nonce, pauseKey, serialize } from '../../agent/rollout/rollout-records';
import type { ReleaseStore } from '../../agent/store/release-store';
import type { CliIo } from '../run/cli-io';
import type { Command } from '../run/command';
import { holdInterrupt, pause } from '../run/interrupt';
import { parseFlags } from '../args/parse-flags';
import { openCliStore } from '../args/store-url';
import { EXIT_OK, UsageError } from '../args/usage-error';
import { createdBy } from '../publish/created-by';
import { readRolloutView } from '../fleet/rollout-view';
import { DEFAULT_STALE_AFTER_TEXT, parseStaleAfter } from '../fleet/wait-options';
import { rolloutJson, rolloutText } from '../output/rollout-text';

export const ROLLOUT_HELP = `Usage: deployctl rollout [status] [--watch] [--json] [options]
       deployctl rollout pause|resume|abort [options]

The rollout in progress: the one desired.json carries (push or rollback with
--canary, --batch, --bake, --max-failures, --deadline), or the one it was just
reverted from. status shows its stage (canary, baking, batches, done, paused,
reverted), every live instance as waiting, deploying, live or failed, and the
failures against the budget. pause lets the deploys in progress finish and
starts no new one; resume lets them start again; abort reverts the fleet to
lastGood now.

Options:
  --store URL          release store: s3://BUCKET/PREFIX, file:///path or a path
                       (default: $DEPLOYCTL_STORE, else "store" in ./deployctl.json)
  --watch              status: refresh every 2s until Ctrl-C
  --json               print one JSON object on stdout (one a refresh with --watch)
  --stale-after DUR    status: reports older than this do not count (default ${DEFAULT_STALE_AFTER_TEXT})
  -h, --help           show this help

Exit status: 0 on success, 1 on failure (NO_ROLLOUT: there is none), 2 on bad
arguments.
Examples: deployctl rollout --watch
          deployctl rollout pause`;

const OPTIONS = {
  store: { type: 'string' },
  watch: { type: 'boolean' },
  json: { type: 'boolean' },
  'stale-after': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const ACTIONS = ['status', 'pause', 'resume', 'abort'] as const;
type Action = (typeof ACTIONS)[number];

/** Time between two refreshes of --watch. */
const WATCH_EVERY_MS = 2_000;

export const rolloutCommand: Command = {
  name: 'rollout',
  synopsis: 'the rollout in progress: status (--watch), pause, resume, abort',
  help: ROLLOUT_HELP,
  run: async (args, io) => {
    const { values, positionals } = parseFlags('rollout', args, OPTIONS);
    const [word = 'status', extra] = positionals;
    if (extra !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(extra)} (see 'deployctl rollout --help')`);
    if (!(ACTIONS as readonly string[]).includes(word)) throw new UsageError(`unknown rollout action ${JSON.stringify(word)}: status, pause, resume or abort`);
    const action = word as Action;
    if (action !== 'status' && (values.watch === true || values['stale-after'] !== undefined)) {
      throw new UsageError(`--watch and --stale-after only apply to 'deployctl rollout status'`);
    }
    const json = values.json === true;
    const staleAfterMs = parseStaleAfter(values['stale-after']);
    const store = await openCliStore(values.store, io);
    if (action === 'status') return values.watch === true ? watch(store, staleAfterMs, json, io) : status(store, staleAfterMs, json, io);
    const message = await act(store, action, createdBy(io.env));
    io.stdout.write(json ? `${JSON.stringify({ ok: true, action, ...message })}\n` : `${message.text}\n`);
    return EXIT_OK;
  },
};

async function render(store: ReleaseStore, staleAfterMs: number, json: boolean): Promise<string> {
  const view = await readRolloutView(store, staleAfterMs);
  if (!view) return json ? `${JSON.stringify({ rollout: null })}\n` : `no rollout: desired.json in ${store.url} carries no rollout policy\n`;
  return json ? `${JSON.stringify(rolloutJson(view))}\n` : `${rolloutText(view).join('\n')}\n`;
}

async function status(store: ReleaseStore, staleAfterMs: number, json: boolean, io: CliIo): Promise<number> {
  io.stdout.write(await render(store, staleAfterMs, json));
  return EXIT_OK;
}

async function watch(store: ReleaseStore, staleAfterMs: number, json: boolean, io: CliIo): Promise<number> {
  const interrupt = holdInterrupt(io.signal);
  try {
    while (!interrupt.signal.aborted) {
      let frame: string;
      try {
        frame = await render(store, staleAfterMs, json);
      } catch (error) {
        frame = json ? `${JSON.stringify({ error: describeError(error) })}\n` : `cannot read ${store.url}: ${describeError(error)}\n`;
      }
      if (interrupt.signal.aborted) break;
      io.stdout.write(json ? frame : `${frame}\n`);
      await pause(WATCH_EVERY_MS, interrupt.signal);
    }
  } finally {
    interrupt.release();
  }
  return EXIT_OK;
}

async function act(store: ReleaseStore, action: Exclude<Action, 'status'>, by: string): Promise<{ text: string; rollout: string; version: string }> {
  const desired = await store.readDesired();
  const rollout = desired?.value.rollout;
  if (!desired || !rollout) {
    throw new DeployError('NO_ROLLOUT', `no rollout to ${action}: desired.json in ${store.url} carries no rollout policy (push with --canary, --batch, … to start one)`);
  }
  const version = desired.value.version;
  const key = pauseKey(rollout.id);
  if (action === 'pause') {
    const created = await store.docs.create(key, serialize({ by, at: new Date().toISOString(), nonce: nonce() }));
    const text = created === undefined ? `rollout ${rollout.id} of ${version} was paused already` : `paused rollout ${rollout.id} of ${version}: deploys in progress finish, no new one starts`;
    return { text, rollout: rollout.id, version };
  }
  if (action === 'resume') {
    const paused = await store.docs.read(key);
    if (paused !== undefined) await store.docs.remove(key, paused.etag);
    return { text: paused === undefined ? `rollout ${rollout.id} of ${version} was not paused` : `resumed rollout ${rollout.id} of ${version}`, rollout: rollout.id, version };
  }
  const outcome = await revertDesired(store, desired, `aborted by ${by}`, by, 'abort');
  if (outcome.kind === 'no-last-good') {
    throw new DeployError('NO_LAST_GOOD', `cannot abort rollout ${rollout.id}: desired.json names no lastGood to revert to (no version went live before ${version}); roll back to a named version instead`);
  }
  if (outcome.kind === 'lost') throw new DeployError('STORE_CONFLICT', 'desired.json changed while aborting (a revert, push or rollback landed first); check deployctl rollout status');
  return { text: `aborted rollout ${rollout.id}: desired.json -> ${outcome.to} (was ${version})`, rollout: rollout.id, version };
}
