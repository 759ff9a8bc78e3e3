import { aggregate, computeTargets, profileMedians, profileTable, type ResultRow, type StepName } from './report';
import type { UnpackProfile } from './unpack-profile';

const row = (name: StepName, ms: number, peakRssMb: number | null = 10): ResultRow => aggregate(name, [{ ms, peakRssMb, note: '' }]);

const smallRows = (fetchMs: number): ResultRow[] => [
  row('push', 100),
  row('tar-czf+upload', 100),
  row('fetch+unpack', fetchMs, 120),
  row('tar-xzf', 800),
  row('tar-xzf+sync', 1000),
];

const check = (rows: readonly ResultRow[], name: string, withBig = false): boolean | undefined =>
  computeTargets(rows, withBig).checks.find((c) => c.name === name)?.pass;

describe('bench:artifact targets', () => {
  it('holds fetch+unpack to 1.0 x tar-xzf+sync and 1.3 x tar-xzf', () => {
    expect(check(smallRows(1000), 'fetch+unpack ms <= 1 x tar-xzf+sync ms')).toBe(true);
    expect(check(smallRows(1001), 'fetch+unpack ms <= 1 x tar-xzf+sync ms')).toBe(false);
    expect(check(smallRows(1040), 'fetch+unpack ms <= 1.3 x tar-xzf ms')).toBe(true);
    expect(check(smallRows(1041), 'fetch+unpack ms <= 1.3 x tar-xzf ms')).toBe(false);
  });

  it('fails the durable check when the tar-xzf+sync row is missing', () => {
    const rows = smallRows(10).filter((r) => r.name !== 'tar-xzf+sync');
    expect(check(rows, 'fetch+unpack ms <= 1 x tar-xzf+sync ms')).toBe(false);
  });

  it('checks the big-file case against 1.3 x tar-xzf+sync-1gib and 150 MB only when it ran', () => {
    const rows = [...smallRows(900), row('push-1gib', 100), row('fetch+unpack-1gib', 1300, 151), row('tar-xzf+sync-1gib', 1000)];
    expect(computeTargets(rows, false).checks.map((c) => c.name)).not.toContain('fetch+unpack-1gib ms <= 1.3 x tar-xzf+sync-1gib ms');
    expect(check(rows, 'fetch+unpack-1gib ms <= 1.3 x tar-xzf+sync-1gib ms', true)).toBe(true);
    expect(check(rows, 'fetch+unpack-1gib peakRssMb <= 150', true)).toBe(false);
    const slower = rows.map((r) => (r.name === 'fetch+unpack-1gib' ? row('fetch+unpack-1gib', 1301) : r));
    expect(check(slower, 'fetch+unpack-1gib ms <= 1.3 x tar-xzf+sync-1gib ms', true)).toBe(false);
  });
});

describe('bench:artifact profile', () => {
  const profile = (ms: number): UnpackProfile => ({
    fetchMs: ms,
    hashMs: ms + 1,
    inflateMs: ms + 2,
    parseMs: ms + 3,
    checksMs: ms + 4,
    writesMs: ms + 5,
    syncMs: ms + 6,
    mainBusyMs: ms + 7,
    writerThreads: 2,
  });

  it('takes the median of each stage over the runs', () => {
    expect(profileMedians([profile(10), profile(30), profile(20)])).toEqual({
      fetchMs: 20,
      hashMs: 21,
      inflateMs: 22,
      parseMs: 23,
      checksMs: 24,
      writesMs: 25,
      syncMs: 26,
      mainBusyMs: 27,
    });
    expect(profileMedians([])).toBeNull();
  });

  it('tables every stage with its thread, one column per case that ran', () => {
    const table = profileTable([
      { name: 'fetch+unpack', medians: profileMedians([profile(10)]) },
      { name: 'fetch+unpack-1gib', medians: null },
    ]);
    expect(table).toMatch(/^stage\s+thread\s+fetch\+unpack ms$/m);
    expect(table).not.toContain('1gib');
    for (const line of ['fetch     main', 'inflate   libuv pool', 'writes    writer threads', 'sync      libuv pool (fsync)']) expect(table).toContain(line);
    expect(table).toMatch(/^writes\s+writer threads\s+15$/m);
  });
});
