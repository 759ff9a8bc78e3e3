/**
 * The health states of one registered target, as ELBv2's DescribeTargetHealth reports them, and the
 * one function that moves between them. Events are named after the state they reach.
 *
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetHealth.html
 */

export type TargetState = 'initial' | 'healthy' | 'unhealthy' | 'unused' | 'draining';

export type TargetReason =
  | 'Elb.RegistrationInProgress'
  | 'Elb.InitialHealthChecking'
  | 'Target.ResponseCodeMismatch'
  | 'Target.Timeout'
  | 'Target.FailedHealthChecks'
  | 'Target.NotRegistered'
  | 'Target.DeregistrationInProgress';

/** The reason a failed health check gives; it becomes the `unhealthy` state's reason. */
export type HealthCheckFailure = Extract<
  TargetReason,
  'Target.ResponseCodeMismatch' | 'Target.Timeout' | 'Target.FailedHealthChecks'
>;

/** Which states each state may move to. Moving to the same state is allowed where the reason changes. */
const allowed: Readonly<Record<TargetState, readonly TargetState[]>> = {
  unused: ['initial'],
  initial: ['initial', 'healthy', 'unhealthy', 'draining'],
  healthy: ['unhealthy', 'draining'],
  unhealthy: ['unhealthy', 'healthy', 'draining'],
  draining: ['initial', 'unused'],
};

/** Returns `next`, or throws if a target in `state` cannot move there. */
export function transition(state: TargetState, next: TargetState): TargetState {
  if (!allowed[state].includes(next)) {
    throw new Error(`illegal target state transition: ${state} -> ${next}`);
  }
  return next;
}

/** The `Description` ELBv2 gives with each reason (healthy targets carry none). */
export function describeReason(reason: TargetReason, detail?: string): string {
  switch (reason) {
    case 'Elb.RegistrationInProgress':
      return 'Target registration is in progress';
    case 'Elb.InitialHealthChecking':
      return 'Initial health checks in progress';
    case 'Target.ResponseCodeMismatch':
      return `Health checks failed with these codes: [${detail ?? ''}]`;
    case 'Target.Timeout':
      return 'Request timed out';
    case 'Target.FailedHealthChecks':
      return 'Health checks failed';
    case 'Target.NotRegistered':
      return 'Target is not registered to the target group';
    case 'Target.DeregistrationInProgress':
      return 'Target deregistration is in progress';
  }
}
