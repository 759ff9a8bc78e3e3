import { formatAge, formatDuration, parseDuration } from '../../../../cli/args/duration';
import { UsageError } from '../../../../cli/args/usage-error';

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['10m', 600_000],
    ['1h', 3_600_000],
    ['250ms', 250],
    ['1500', 1500],
    ['1.5m', 90_000],
    [' 2s ', 2_000],
  ])('reads %j as %d ms', (text, ms) => {
    expect(parseDuration(text, '--timeout')).toBe(ms);
  });

  it.each([['10 minutes'], ['-5s'], ['5d'], [''], ['0'], ['0s'], ['s']])('refuses %j with a usage error naming the flag', (text) => {
    expect(() => parseDuration(text, '--timeout')).toThrow(UsageError);
    expect(() => parseDuration(text, '--timeout')).toThrow(/^--timeout must be/);
  });
});

describe('formatDuration', () => {
  it.each([
    [600_000, '10m'],
    [90_000, '90s'],
    [3_600_000, '1h'],
    [1_500, '1500ms'],
    [1_000, '1s'],
  ])('writes %d ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('formatAge', () => {
  it.each([
    [-3_000, '0s'],
    [4_900, '4s'],
    [125_000, '2m05s'],
    [3 * 3_600_000 + 12 * 60_000, '3h12m'],
  ])('writes %d ms as %s', (ms, text) => {
    expect(formatAge(ms)).toBe(text);
  });
});
