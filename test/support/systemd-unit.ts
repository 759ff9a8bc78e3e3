import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runCommand } from './run-command';

/**
 * A systemd unit file read into sections of `key → values` (a key may repeat;
 * an empty assignment resets the list, as systemd does). Comments and blank
 * lines are dropped; line continuations are not used by our units.
 */
export type UnitFile = ReadonlyMap<string, ReadonlyMap<string, readonly string[]>>;

export function parseUnitFile(text: string): UnitFile {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header?.[1] !== undefined) {
      current = sections.get(header[1]) ?? new Map<string, string[]>();
      sections.set(header[1], current);
      continue;
    }
    const eq = line.indexOf('=');
    if (current === undefined || eq < 1) throw new Error(`not a unit file line: ${raw}`);
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    current.set(key, value === '' ? [] : [...(current.get(key) ?? []), value]);
  }
  return sections;
}

/** The one value of `key` in `section`; throws when it is missing or repeated. */
export function unitValue(unit: UnitFile, section: string, key: string): string {
  const values = unit.get(section)?.get(key);
  if (values?.length !== 1 || values[0] === undefined) throw new Error(`[${section}] ${key} should be set exactly once, got ${JSON.stringify(values)}`);
  return values[0];
}

/** systemd time span ("360", "360s", "6min", "5min 30s") in milliseconds. */
export function timeSpanMs(span: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000 };
  let total = 0;
  for (const part of span.trim().split(/\s+/)) {
    const match = /^(\d+)([a-z]*)$/.exec(part);
    const unit = units[match?.[2] || 's'];
    if (match?.[1] === undefined || unit === undefined) throw new Error(`not a systemd time span: ${span}`);
    total += Number(match[1]) * unit;
  }
  return total;
}

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
  const result = await runCommand('/usr/bin/systemd-analyze', ['verify', unitPath], { timeoutMs: 30_000, env: { ...process.env, SYSTEMD_LOG_COLOR: '0' } });
  return { code: result.code, output: `${result.stdout}${result.stderr}`.trim() };
}
