import { IllegalTransitionError, isLeaving, transition, type WorkerState } from '../../../../agent/cluster/worker-state';

const allStates: readonly WorkerState[] = ['none', 'online', 'listening', 'ready', 'draining', 'disconnected', 'dead'];

/** Everything the life cycle allows; every other pair must throw. */
const allowedPairs: ReadonlyArray<readonly [WorkerState, WorkerState]> = [
  // the main line: none → online → listening → ready → draining → disconnected → dead
  ['none', 'online'],
  ['online', 'listening'],
  ['listening', 'ready'],
  ['ready', 'draining'],
  ['draining', 'disconnected'],
  ['disconnected', 'dead'],
  // message readiness: ready straight from online
  ['online', 'ready'],
  // retired before ready
  ['none', 'draining'],
  ['online', 'draining'],
  ['listening', 'draining'],
  // the worker disconnected itself (e.g. after an uncaught exception)
  ['none', 'disconnected'],
  ['online', 'disconnected'],
  ['listening', 'disconnected'],
  ['ready', 'disconnected'],
  // crashes
  ['none', 'dead'],
  ['online', 'dead'],
  ['listening', 'dead'],
  ['ready', 'dead'],
  ['draining', 'dead'],
];

const isAllowed = (from: WorkerState, to: WorkerState): boolean => allowedPairs.some(([f, t]) => f === from && t === to);

const illegalPairs = allStates.flatMap((from) =>
  allStates.filter((to) => !isAllowed(from, to)).map((to) => [from, to] as const),
);

describe('worker life cycle transitions', () => {
  test.each([
    ['none', 'online'],
    ['online', 'listening'],
    ['listening', 'ready'],
    ['ready', 'draining'],
    ['draining', 'disconnected'],
    ['disconnected', 'dead'],
  ] as const)('moves along the main line from %s to %s', (from, to) => {
    expect(transition(from, to)).toBe(to);
  });

  test('walks the whole life cycle none → … → dead', () => {
    const line: readonly WorkerState[] = ['online', 'listening', 'ready', 'draining', 'disconnected', 'dead'];
    let state: WorkerState = 'none';
    for (const next of line) state = transition(state, next);
    expect(state).toBe('dead');
  });

  test('becomes ready straight from online (message readiness)', () => {
    expect(transition('online', 'ready')).toBe('ready');
  });

  test.each([['none'], ['online'], ['listening'], ['ready']] as const)('can be told to drain from %s', (from) => {
    expect(transition(from, 'draining')).toBe('draining');
  });

  test.each([['none'], ['online'], ['listening'], ['ready'], ['draining']] as const)(
    'can disconnect itself from %s',
    (from) => {
      expect(transition(from, 'disconnected')).toBe('disconnected');
    },
  );

  test.each([['none'], ['online'], ['listening'], ['ready'], ['draining'], ['disconnected']] as const)(
    'a crash takes it from %s to dead',
    (from) => {
      expect(transition(from, 'dead')).toBe('dead');
    },
  );

  test.each(allowedPairs)('allows %s → %s (table of allowed transitions)', (from, to) => {
    expect(() => transition(from, to)).not.toThrow();
  });
});

describe('illegal transitions', () => {
  test.each([
    ['dead', 'online'],
    ['ready', 'listening'],
    ['draining', 'ready'],
    ['dead', 'dead'],
    ['none', 'listening'],
    ['none', 'ready'],
    ['disconnected', 'draining'],
    ['ready', 'online'],
  ] as const)('refuses %s → %s with IllegalTransitionError', (from, to) => {
    let caught: unknown;
    try {
      transition(from, to);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(IllegalTransitionError);
    expect(caught).toBeInstanceOf(Error);
    const error = caught as IllegalTransitionError;
    expect(error.code).toBe('WORKER_ILLEGAL_TRANSITION');
    expect(error.from).toBe(from);
    expect(error.to).toBe(to);
    expect(error.message).toBe(`worker cannot go from '${from}' to '${to}'`);
  });

  test.each(illegalPairs)('refuses every pair outside the table: %s → %s', (from, to) => {
    expect(() => transition(from, to)).toThrow(IllegalTransitionError);
  });

  test('the illegal table covers the rest of the 7×7 pairs', () => {
    expect(illegalPairs.length + allowedPairs.length).toBe(allStates.length * allStates.length);
    expect(illegalPairs).toHaveLength(30);
  });

  test('nothing leaves dead', () => {
    for (const to of allStates) expect(() => transition('dead', to)).toThrow(IllegalTransitionError);
  });
});

describe('isLeaving', () => {
  test.each([
    ['none', false],
    ['online', false],
    ['listening', false],
    ['ready', false],
    ['draining', true],
    ['disconnected', true],
    ['dead', true],
  ] as const)('%s → %s', (state, leaving) => {
    expect(isLeaving(state)).toBe(leaving);
  });
});
