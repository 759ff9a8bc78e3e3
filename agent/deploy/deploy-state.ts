/**
 * The deploy state machine of DESIGN §2, as the status report and the logs
 * name it step by step:
 *
 *   idle → fetching → unpacking → (preparing) → (draining) → rolling → validating → (registering) → idle
 *
 * and on any failure `→ rolling-back → idle`. `draining` and `registering`
 * belong to service-out deploys; `preparing` to releases with a `prepare` or
 * `once` hook (agent/hooks/). Events are named after the state reached.
 */
export type DeployState = 'idle' | 'fetching' | 'unpacking' | 'preparing' | 'draining' | 'rolling' | 'validating' | 'registering' | 'rolling-back';

const allowed: Readonly<Record<DeployState, readonly DeployState[]>> = {
  idle: ['fetching'],
  fetching: ['unpacking', 'preparing', 'draining', 'rolling', 'rolling-back'],
  unpacking: ['preparing', 'draining', 'rolling', 'rolling-back'],
  preparing: ['draining', 'rolling', 'rolling-back'],
  draining: ['rolling', 'rolling-back'],
  rolling: ['validating', 'rolling-back'],
  validating: ['registering', 'idle', 'rolling-back'],
  registering: ['idle', 'rolling-back'],
  'rolling-back': ['idle'],
};

export class IllegalDeployTransitionError extends Error {
  readonly code = 'DEPLOY_ILLEGAL_TRANSITION';
  constructor(
    readonly from: DeployState,
    readonly to: DeployState,
  ) {
    super(`a deploy cannot go from '${from}' to '${to}'`);
  }
}

export function transition(from: DeployState, to: DeployState): DeployState {
  if (!allowed[from].includes(to)) throw new IllegalDeployTransitionError(from, to);
  return to;
}
