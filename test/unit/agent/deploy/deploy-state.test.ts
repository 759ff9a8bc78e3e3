import { IllegalDeployTransitionError, transition, type DeployState } from '../../../../agent/deploy/deploy-state';

const allStates: readonly DeployState[] = ['idle', 'fetching', 'unpacking', 'preparing', 'draining', 'rolling', 'validating', 'registering', 'rolling-back'];
/** The states of a deploy under way (each may fail and roll back); rolling-back itself only ends idle. */
const underWay = allStates.filter((s) => s !== 'idle' && s !== 'rolling-back');

/** The in-place deploy: idle → fetching → unpacking → rolling → validating → idle. */
const inPlacePath: readonly DeployState[] = ['idle', 'fetching', 'unpacking', 'rolling', 'validating', 'idle'];
/** The service-out deploy adds draining (before rolling) and registering (after validating). */
const serviceOutPath: readonly DeployState[] = ['idle', 'fetching', 'unpacking', 'draining', 'rolling', 'validating', 'registering', 'idle'];

function stepsOf(states: readonly DeployState[]): Array<[DeployState, DeployState]> {
  const steps: Array<[DeployState, DeployState]> = [];
  for (let i = 1; i < states.length; i++) steps.push([states[i - 1] as DeployState, states[i] as DeployState]);
  return steps;
}

/** Everything the machine allows, written out independently of the source table; every other pair must throw. */
const allowedPairs: ReadonlyArray<readonly [DeployState, DeployState]> = [
  ...stepsOf(inPlacePath),
  ...stepsOf(serviceOutPath),
  // the release is already unpacked: straight from fetching to rolling (in place) or draining (service-out)
  ['fetching', 'rolling'],
  ['fetching', 'draining'],
  // a release with a prepare or once hook runs them in `preparing`, after the unpack (or straight after fetching when already unpacked)
  ['unpacking', 'preparing'],
  ['fetching', 'preparing'],
  ['preparing', 'rolling'],
  ['preparing', 'draining'],
  // any failure rolls back, and a rollback ends idle
  ...underWay.map((s) => [s, 'rolling-back'] as const),
  ['rolling-back', 'idle'],
];
const isAllowed = (from: DeployState, to: DeployState): boolean => allowedPairs.some(([f, t]) => f === from && t === to);
const illegalPairs = allStates.flatMap((from) => allStates.filter((to) => !isAllowed(from, to)).map((to) => [from, to] as [DeployState, DeployState]));

function expectIllegal(from: DeployState, to: DeployState): void {
  let caught: unknown;
  try {
    transition(from, to);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(IllegalDeployTransitionError);
  expect(caught).toMatchObject({ code: 'DEPLOY_ILLEGAL_TRANSITION', from, to });
  expect((caught as Error).message).toContain(`'${from}'`);
  expect((caught as Error).message).toContain(`'${to}'`);
}

describe('deploy state machine', () => {
  test.each([
    ['in-place', inPlacePath],
    ['service-out', serviceOutPath],
  ])('walks the %s path step by step back to idle', (_name, states) => {
    let state: DeployState = 'idle';
    for (const next of states.slice(1)) state = transition(state, next);
    expect(state).toBe('idle');
  });

  test.each(stepsOf(inPlacePath))('in place: %s → %s is allowed', (from, to) => {
    expect(transition(from, to)).toBe(to);
  });

  test.each(stepsOf(serviceOutPath))('service-out: %s → %s is allowed', (from, to) => {
    expect(transition(from, to)).toBe(to);
  });

  test.each([
    ['fetching', 'rolling'],
    ['fetching', 'draining'],
  ] as Array<[DeployState, DeployState]>)('an already unpacked release goes %s → %s', (from, to) => {
    expect(transition(from, to)).toBe(to);
  });

  test.each(underWay)('%s → rolling-back is allowed', (from) => {
    expect(transition(from, 'rolling-back')).toBe('rolling-back');
  });

  test.each(allStates.filter((s) => s !== 'idle'))('rolling-back → %s is illegal (only idle follows a rollback)', (to) => {
    expectIllegal('rolling-back', to);
  });

  it('rolling-back → idle is allowed', () => {
    expect(transition('rolling-back', 'idle')).toBe('idle');
  });

  test.each([
    ['idle', 'rolling'],
    ['idle', 'rolling-back'],
    ['idle', 'idle'],
    ['rolling-back', 'rolling'],
    ['validating', 'fetching'],
    ['rolling', 'unpacking'],
    ['unpacking', 'validating'],
    ['draining', 'validating'],
    ['registering', 'rolling'],
  ] as Array<[DeployState, DeployState]>)('%s → %s throws DEPLOY_ILLEGAL_TRANSITION', (from, to) => {
    expectIllegal(from, to);
  });

  test.each(illegalPairs)('exhaustive: %s → %s throws', (from, to) => {
    expectIllegal(from, to);
  });
});
