import { formatBytes } from '../../../../cli/output/format-bytes';

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [999, '999 B'],
    [1000, '1.0 kB'],
    [56_700_000, '56.7 MB'],
    [999_990, '1.0 MB'],
    [12_345_678_901, '12.3 GB'],
  ])('formats %d as %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});
