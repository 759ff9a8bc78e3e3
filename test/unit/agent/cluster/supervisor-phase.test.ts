import { isShuttingDown, nextPhase, type SupervisorPhase } from '../../../../agent/cluster/supervisor-phase';

const all: readonly SupervisorPhase[] = ['idle', 'starting', 'running', 'stopping', 'stopped'];
const allowed: ReadonlyArray<readonly [SupervisorPhase, SupervisorPhase]> = [
  ['idle', 'starting'],
  ['idle', 'stopping'],
  ['starting', 'running'],
  ['starting', 'idle'],
  ['starting', 'stopping'],
  ['running', 'idle'],
  ['running', 'stopping'],
  ['stopping', 'stopped'],
];

describe('supervisor phases', () => {
  test.each(allowed)('%s → %s is allowed', (from, to) => {
    expect(nextPhase(from, to)).toBe(to);
  });

  test('every other move throws, naming both phases (a failed start never goes to running; nothing leaves stopped)', () => {
    for (const from of all) {
      for (const to of all) {
        if (allowed.some(([f, t]) => f === from && t === to)) continue;
        expect(() => nextPhase(from, to)).toThrow(`supervisor cannot go from '${from}' to '${to}'`);
      }
    }
  });

  test('only stopping and stopped count as shutting down', () => {
    expect(all.filter(isShuttingDown)).toEqual(['stopping', 'stopped']);
  });
});
