/**
 * The V8 flags the deploy-agent process runs with. Its bin passes them to node in its first line
 * (`#!/usr/bin/env -S node …`: GNU coreutils 8.30 or later, as on every supported distribution;
 * test/unit/agent/lifecycle/node-flags.test.ts keeps that line and this list the same), and
 * `npm run bench:artifact` starts its fetch+unpack child with them, so the peak RSS it reports is
 * the agent's. The app's workers never inherit them: cluster forks each worker with its own
 * execArgv (agent/cluster/worker-pool.ts).
 *
 * `--max-semi-space-size=2`: semi-spaces (the young generation's halves) of 2 MiB. V8's default
 * limit grows with the machine's memory (on a 24 GiB machine: 64 MiB on Node 24, 16 MiB on Node
 * 20; `new_space` then grows to 128 and 32 MiB), and an unpack's survivors (the release tree,
 * stream plumbing) make the young generation grow towards it.
 * Measured with `npm run bench:artifact` on Node 24 (2 vCPUs, 24 GiB; two runs of three), when
 * this was the only flag: peak RSS of the 20,000-file unpack 130–155 MB, against 168–175 MB
 * with V8's default; of the 1 GiB file 150–164 MB, against 162–188 MB. Paired runs of the
 * 20,000-file unpack took 0.94 of the time with the flag on Node 24 and 0.97–1.01 on Node 20
 * (medians of 6–8 pairs).
 *
 * `--initial-old-space-size=32`: the first full collection once the old generation holds 32 MiB,
 * instead of at a limit V8 derives from the machine's memory. A fresh agent's first unpack (the
 * first deploy after boot) promotes short-lived stream and queue objects that then wait for it;
 * after that first collection V8 sets its limits from what survived, as it would anyway. Paired
 * runs of the 20,000-file unpack on Node 24 (8 pairs, tmpfs; the other two flags on, at most 2
 * writer threads then): peak RSS 145–149 MB against 149–167 MB, in 0.97 of the time.
 *
 * `--expose-gc`: `gc` for agent/release/read-buffer-collector.ts, which runs a young-generation
 * collection after every 4 MiB of artifact read, so the socket read buffers Node's HTTP client
 * leaves behind are freed as the download goes (Node 24's V8 lets ~64 MB of them pile up before
 * it collects). Paired runs of the 1 GiB unpack on Node 24 (3 pairs, ext4): peak RSS 123–125 MB
 * against 152–157 MB without the collections, in 0.75 of the time.
 */
export const AGENT_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2', '--initial-old-space-size=32', '--expose-gc'];

/** The first line of the agent's bin: node from PATH, with AGENT_NODE_FLAGS. */
export const AGENT_SHEBANG = `#!/usr/bin/env -S node ${AGENT_NODE_FLAGS.join(' ')}`;
