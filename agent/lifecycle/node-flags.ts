/**
 * The V8 flags the deploy-agent process runs with. Its bin passes them to node in its first line
 * (`#!/usr/bin/env -S node …`: GNU coreutils 8.30 or later, as on every supported distribution;
 * test/unit/agent/lifecycle/node-flags.test.ts keeps that line and this list the same), and
 * `npm run bench:artifact` starts its fetch+unpack child with them, so the peak RSS it reports is
 * the agent's. The app's workers never inherit them: cluster forks each worker with its own
 * execArgv (agent/cluster/worker-pool.ts).
 *
 * `--max-semi-space-size=2`: a young generation of 2 × 2 MiB. V8's default grows with the
 * machine's memory, to 2 × 32 MiB on Node 24 with 16 GiB or more, and an unpack's survivors
 * (the release tree, stream plumbing) make it grow that far; the agent keeps little that is
 * short-lived. Measured in bench:artifact's fetch+unpack children on Node 24 (2 vCPUs, paired
 * runs): peak RSS unpacking 25,115 entries 153–172 MB with V8's default against 131–153 MB, a
 * 1 GiB file 162–188 against 157–172 MB; the 25,115 entries took 0.94 of the time (median of 6
 * pairs; on Node 20 1.01).
 */
export const AGENT_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2'];

/** The first line of the agent's bin: node from PATH, with AGENT_NODE_FLAGS. */
export const AGENT_SHEBANG = `#!/usr/bin/env -S node ${AGENT_NODE_FLAGS.join(' ')}`;
