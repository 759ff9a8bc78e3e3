/**
 * A process that supervises one release the way deploy-agent does (Supervisor
 * + handleSignals), for tests that need a real primary to signal:
 *   node dist/test/support/supervise-main.js <releaseDir> <version> <port> <workers> [shutdownTimeoutMs]
 * Prints "ready" once all workers are ready, "rolled <json>" after each roll
 * asked for on stdin ("roll <dir> <version>\n").
 */
import { createInterface } from 'node:readline';
import { ClusterHost } from '../../agent/cluster/cluster-host';
import { Supervisor } from '../../agent/cluster/supervisor';
import { handleSignals } from '../../agent/lifecycle/signals';

async function main(): Promise<void> {
  const [dir, version, port, workers, shutdownTimeoutMs] = process.argv.slice(2);
  if (!dir || !version || !port || !workers) throw new Error('usage: supervise-main <dir> <version> <port> <workers> [shutdownTimeoutMs]');
  const supervisor = new Supervisor(
    { port: Number(port), workers: Number(workers), shutdownTimeoutMs: Number(shutdownTimeoutMs ?? 5000) },
    { host: new ClusterHost('rr'), output: { stdout: () => undefined, stderr: (chunk) => process.stderr.write(chunk) } },
  );
  handleSignals(supervisor, {
    stopTimeoutMs: Number(shutdownTimeoutMs ?? 5000) + 10_000,
    onExit: (code) => process.exit(code),
    log: (message) => process.stdout.write(`signal ${message}\n`),
  });
  await supervisor.start({ dir, version });
  process.stdout.write('ready\n');
  createInterface({ input: process.stdin }).on('line', (line) => {
    const [cmd, nextDir, nextVersion] = line.split(' ');
    if (cmd !== 'roll' || !nextDir || !nextVersion) return;
    void supervisor.roll({ dir: nextDir, version: nextVersion }).then((result) => process.stdout.write(`rolled ${JSON.stringify(result)}\n`));
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`supervise-main: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(2);
});
