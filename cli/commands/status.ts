import { describeError } from '../../agent/errors';
import type { ReleaseStore } from '../../agent/store/release-store';
import type { CliIo } from '../run/cli-io';
import type { Command } from '../run/command';
import { readFleet } from '../fleet/fleet';
import { holdInterrupt, pause } from '../run/interrupt';
import { parseFlags } from '../args/parse-flags';
import { statusJson, statusText } from '../output/status-view';
import { configNameLists } from '../output/config-names';
import { openCliStore } from '../args/store-url';
import { EXIT_OK, UsageError } from '../args/usage-error';
import { DEFAULT_STALE_AFTER_TEXT, parseStaleAfter } from '../fleet/wait-options';
import { formatDuration } from '../args/duration';
import { agentDefaults } from '../../agent/config/defaults';

export const STATUS_HELP = `Usage: deployctl status [options]

Shows what desired.json asks for (version, strategy, when, previous) and what
every instance last reported (instances/<id>.json): the version it runs, the
desired version it last saw, its deploy step, workers ready/total, its last
deploy (with the error, shortened) and how old the report is. Agents report on
every change, and every heartbeatMs (${formatDuration(agentDefaults.heartbeatMs)} by default) while nothing
changes; a report older than --stale-after is marked stale: its agent is gone
or cannot reach the store.
A hook running on an instance shows beside its step; the names of the desired
release's env and secrets (never their values) show under desired.

Options:
  --store URL          release store: s3://BUCKET/PREFIX, file:///path or a path
                       (default: $DEPLOYCTL_STORE, else "store" in ./deployctl.json)
  --watch              refresh every 2s until Ctrl-C (in place on a terminal)
  --json               print {"desired": ..., "instances": [...]} on stdout, each
                       report with "ageMs" and "stale" (one line per refresh with --watch)
  --stale-after DUR    reports older than this are stale (default ${DEFAULT_STALE_AFTER_TEXT}, 3 x the
                       default heartbeat); 90s, 10m, 1h or milliseconds
  -h, --help           show this help

Exit status: 0 when the store could be read, 1 otherwise, 2 on bad arguments.
Example: deployctl status --watch --store s3://my-bucket/my-app`;

const OPTIONS = {
  store: { type: 'string' },
  watch: { type: 'boolean' },
  json: { type: 'boolean' },
  'stale-after': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Time between two refreshes of --watch. */
const WATCH_EVERY_MS = 2_000;
/** Cursor home, then clear the screen: the next frame replaces the last one on a terminal. */
const CLEAR_SCREEN = '\x1b[H\x1b[2J';

interface StatusArgs {
  readonly store: string | undefined;
  readonly json: boolean;
  readonly staleAfterMs: number;
}

export const statusCommand: Command = {
  name: 'status',
  synopsis: "show desired.json and every instance's report (--watch to follow)",
  help: STATUS_HELP,
  run: async (args, io) => {
    const { values, positionals } = parseFlags('status', args, OPTIONS);
    if (positionals[0] !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])} (see 'deployctl status --help')`);
    const parsed: StatusArgs = { store: values.store, json: values.json === true, staleAfterMs: parseStaleAfter(values['stale-after']) };
    const store = await openCliStore(parsed.store, io);
    if (values.watch === true) return watch(store, parsed, io);
    io.stdout.write(await render(store, parsed));
    return EXIT_OK;
  },
};

async function render(store: ReleaseStore, args: StatusArgs): Promise<string> {
  const read = await readFleet(store, args.staleAfterMs);
  const manifest = read.desired ? await store.readManifest(read.desired.value.version) : undefined;
  const fleet = manifest ? { ...read, desiredConfig: configNameLists(manifest) } : read;
  return args.json ? `${JSON.stringify(statusJson(fleet))}\n` : `${statusText(fleet, store.url).join('\n')}\n`;
}

/** Refreshes until interrupted; a store that cannot be read shows as such and is read again next time. */
async function watch(store: ReleaseStore, args: StatusArgs, io: CliIo): Promise<number> {
  const inPlace = !args.json && (io.stdout as { isTTY?: unknown }).isTTY === true;
  const interrupt = holdInterrupt(io.signal);
  try {
    while (!interrupt.signal.aborted) {
      let frame: string;
      try {
        frame = await render(store, args);
      } catch (error) {
        frame = args.json ? `${JSON.stringify({ error: describeError(error) })}\n` : `cannot read ${store.url}: ${describeError(error)}\n`;
      }
      if (interrupt.signal.aborted) break;
      if (inPlace) io.stdout.write(`${CLEAR_SCREEN}${frame}\nrefreshing every ${WATCH_EVERY_MS / 1000}s; Ctrl-C to stop\n`);
      else io.stdout.write(args.json ? frame : `${frame}\n`);
      await pause(WATCH_EVERY_MS, interrupt.signal);
    }
  } finally {
    interrupt.release();
  }
  return EXIT_OK;
}
