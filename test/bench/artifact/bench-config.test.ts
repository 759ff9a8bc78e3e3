import { readSettings } from './bench-config';

describe('bench:artifact settings', () => {
  it('runs the big-file case with one 1024 MiB file unless BENCH_BIG_MB says otherwise', () => {
    expect(readSettings({}).bigMib).toBe(1024);
    expect(readSettings({ BENCH_BIG_MB: '16' }).bigMib).toBe(16);
    expect(readSettings({ BENCH_BIG_MB: '0' }).bigMib).toBe(0);
  });

  it('refuses a BENCH_BIG_MB that is not an integer 0-4096, naming the variable', () => {
    for (const bad of ['-1', '1.5', 'big', '4097']) expect(() => readSettings({ BENCH_BIG_MB: bad })).toThrow(/BENCH_BIG_MB must be an integer 0-4096/);
  });
});
