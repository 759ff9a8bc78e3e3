import os from 'node:os';
import { resolveSupervisorOptions, supervisorDefaults } from '../../../../agent/cluster/supervisor-options';

afterEach(() => {
  jest.restoreAllMocks();
});

describe('resolveSupervisorOptions', () => {
  test('applies every default when only the port is given', () => {
    const resolved = resolveSupervisorOptions({ port: 3000 });
    expect(resolved).toEqual({
      entry: 'server.js',
      port: 3000,
      workers: os.availableParallelism(),
      env: {},
      args: [],
      readiness: 'listening',
      startTimeoutMs: 30_000,
      shutdownTimeoutMs: 30_000,
      maxSurge: 1,
      drainPreload: true,
      idleGraceMs: 1_000,
      wsCloseWindowMs: 2_000,
      stableMs: 1_000,
      schedulingPolicy: 'rr',
      restartBackoffInitialMs: 100,
      restartBackoffMaxMs: 30_000,
      restartResetAfterMs: 60_000,
      crashLoopCount: 5,
      crashLoopWindowMs: 60_000,
      stderrTailLines: 20,
      probeTimeoutMs: 3_000,
    });
  });

  test('the documented default for workers is auto', () => {
    expect(supervisorDefaults.workers).toBe('auto');
  });

  test("'auto' workers is os.availableParallelism()", () => {
    const spy = jest.spyOn(os, 'availableParallelism').mockReturnValue(7);
    expect(resolveSupervisorOptions({ port: 1, workers: 'auto' }).workers).toBe(7);
    expect(resolveSupervisorOptions({ port: 1 }).workers).toBe(7);
    expect(spy).toHaveBeenCalled();
  });

  test('an explicit worker count is kept as given', () => {
    const spy = jest.spyOn(os, 'availableParallelism').mockReturnValue(7);
    expect(resolveSupervisorOptions({ port: 1, workers: 3 }).workers).toBe(3);
    expect(spy).not.toHaveBeenCalled();
  });

  test('given values win over the defaults', () => {
    const resolved = resolveSupervisorOptions({
      port: 8080,
      entry: 'dist/app.js',
      workers: 4,
      env: { NODE_ENV: 'production' },
      readiness: 'message',
      startTimeoutMs: 5_000,
      drainPreload: false,
      schedulingPolicy: 'none',
      crashLoopCount: 3,
      stderrTailLines: 50,
    });
    expect(resolved).toMatchObject({
      port: 8080,
      entry: 'dist/app.js',
      workers: 4,
      env: { NODE_ENV: 'production' },
      readiness: 'message',
      startTimeoutMs: 5_000,
      drainPreload: false,
      schedulingPolicy: 'none',
      crashLoopCount: 3,
      stderrTailLines: 50,
      // untouched fields keep their defaults
      shutdownTimeoutMs: 30_000,
      crashLoopWindowMs: 60_000,
    });
  });

  test.each([
    ['below 1 is raised to 1', 4, 0, 1],
    ['negative is raised to 1', 4, -3, 1],
    ['within range is kept', 4, 2, 2],
    ['equal to workers is kept', 4, 4, 4],
    ['above workers is lowered to workers', 4, 10, 4],
    ['with one worker is 1', 1, 5, 1],
  ])('maxSurge %s (workers %i, maxSurge %i → %i)', (_label, workers, maxSurge, expected) => {
    expect(resolveSupervisorOptions({ port: 1, workers, maxSurge }).maxSurge).toBe(expected);
  });

  test("maxSurge is clamped to the 'auto' worker count", () => {
    jest.spyOn(os, 'availableParallelism').mockReturnValue(2);
    expect(resolveSupervisorOptions({ port: 1, maxSurge: 8 }).maxSurge).toBe(2);
  });

  test('fields set to undefined do not override the defaults', () => {
    jest.spyOn(os, 'availableParallelism').mockReturnValue(3);
    const resolved = resolveSupervisorOptions({
      port: 1,
      entry: undefined,
      workers: undefined,
      env: undefined,
      readiness: undefined,
      startTimeoutMs: undefined,
      maxSurge: undefined,
      drainPreload: undefined,
      stderrTailLines: undefined,
    });
    expect(resolved.entry).toBe('server.js');
    expect(resolved.workers).toBe(3);
    expect(resolved.env).toEqual({});
    expect(resolved.readiness).toBe('listening');
    expect(resolved.startTimeoutMs).toBe(30_000);
    expect(resolved.maxSurge).toBe(1);
    expect(resolved.drainPreload).toBe(true);
    expect(resolved.stderrTailLines).toBe(20);
  });

  test('the result is frozen', () => {
    const resolved = resolveSupervisorOptions({ port: 1, workers: 2 });
    expect(Object.isFrozen(resolved)).toBe(true);
    expect(() => {
      (resolved as { workers: number }).workers = 99;
    }).toThrow(TypeError);
    expect(resolved.workers).toBe(2);
  });

  test('does not change the options it was given', () => {
    const given = { port: 1, workers: 2, maxSurge: 9, entry: undefined };
    resolveSupervisorOptions(given);
    expect(given).toEqual({ port: 1, workers: 2, maxSurge: 9, entry: undefined });
  });
});
