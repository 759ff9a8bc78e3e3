const UNITS = ['kB', 'MB', 'GB', 'TB'] as const;

/** Decimal units with one decimal, for progress lines: `512 B`, `56.7 MB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  let value = bytes;
  let unit: string = 'B';
  for (const next of UNITS) {
    if (value < 999.95) break; // so 999,990 B is `1.0 MB`, not `1000.0 kB`
    value /= 1000;
    unit = next;
  }
  return `${value.toFixed(1)} ${unit}`;
}
