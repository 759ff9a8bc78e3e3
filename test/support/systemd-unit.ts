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
 * The drop-in infra/install.sh writes for a directory store: the unit makes everything but its
 * own directories read-only, and the agent writes reports and locks into the store. The install
 * test checks that install.sh writes exactly this; `npm run lint` has systemd-analyze verify it.
 */
export function localStoreDropIn(storeDir: string): string {
  return `# Written by install.sh: the release store is a directory the agent writes to.\n[Service]\nReadWritePaths=-${storeDir}\n`;
}
