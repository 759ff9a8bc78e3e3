import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runCommand } from '../../support/run-command';

/**
 * `systemd-analyze verify` of a unit (plus drop-ins) written to `dir` as
 * deploy-agent.service. verify checks that ExecStart exists, and the agent is
 * not installed on the test machine: ExecStart is pointed at a stub
 * executable with the same arguments; everything else is verified as given.
 * Returns the exit code and everything it printed (empty = no warnings).
 */
export async function verifyUnit(dir: string, unitText: string, dropIns: Readonly<Record<string, string>> = {}): Promise<{ code: number; output: string }> {
  const stub = path.join(dir, 'deploy-agent');
  await writeFile(stub, '#!/bin/sh\nexit 0\n');
  await chmod(stub, 0o755);
  const unitPath = path.join(dir, 'deploy-agent.service');
  await writeFile(unitPath, unitText.replace(/^ExecStart=\S+/m, `ExecStart=${stub}`));
  if (Object.keys(dropIns).length > 0) {
    await mkdir(`${unitPath}.d`, { recursive: true });
    for (const [name, text] of Object.entries(dropIns)) await writeFile(path.join(`${unitPath}.d`, name), text);
  }
  const result = await runCommand('systemd-analyze', ['verify', unitPath], { timeoutMs: 30_000, env: { ...process.env, SYSTEMD_LOG_COLOR: '0' } });
  return { code: result.code, output: `${result.stdout}${result.stderr}`.trim() };
}
