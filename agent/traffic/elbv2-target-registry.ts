import {
  DeregisterTargetsCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetHealthCommand,
  RegisterTargetsCommand,
  type ElasticLoadBalancingV2Client,
  type TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { DeployError } from '../errors';
import { targetGroupName } from './target-health';
import type { TargetHealth, TargetRegistry, TargetState } from './target-registry';

const DELAY_KEY = 'deregistration_delay.timeout_seconds';

/** The IAM action each call needs, for the message of an AccessDenied. */
const iamAction: Readonly<Record<string, string>> = {
  RegisterTargets: 'elasticloadbalancing:RegisterTargets',
  DeregisterTargets: 'elasticloadbalancing:DeregisterTargets',
  DescribeTargetHealth: 'elasticloadbalancing:DescribeTargetHealth',
  DescribeTargetGroupAttributes: 'elasticloadbalancing:DescribeTargetGroupAttributes',
};

/**
 * TargetRegistry over the ELBv2 API: one call per target group, the groups in
 * parallel. The client's retries (elbv2-client.ts) absorb throttling and 5xx;
 * what still fails becomes an ELB_CALL_FAILED naming the call, the target
 * group and what to do.
 */
export class Elbv2TargetRegistry implements TargetRegistry {
  readonly target: { readonly id: string; readonly port: number };

  constructor(
    private readonly client: ElasticLoadBalancingV2Client,
    readonly targetGroupArns: readonly string[],
    target: { readonly id: string; readonly port: number },
  ) {
    this.target = { ...target };
  }

  async register(): Promise<void> {
    await this.eachGroup('RegisterTargets', (arn) =>
      this.client.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: [this.ref()] })),
    );
  }

  async deregister(): Promise<void> {
    await this.eachGroup('DeregisterTargets', (arn) =>
      this.client.send(new DeregisterTargetsCommand({ TargetGroupArn: arn, Targets: [this.ref()] })),
    );
  }

  describe(): Promise<readonly TargetHealth[]> {
    return this.eachGroup('DescribeTargetHealth', async (arn) => {
      const out = await this.client.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn, Targets: [this.ref()] }));
      return healthOf(arn, this.find(out.TargetHealthDescriptions ?? []));
    });
  }

  async deregistrationDelayMs(): Promise<number | undefined> {
    const delays = await this.eachGroup('DescribeTargetGroupAttributes', async (arn) => {
      const out = await this.client.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: arn }));
      const value = out.Attributes?.find((a) => a.Key === DELAY_KEY)?.Value;
      const seconds = value === undefined ? NaN : Number(value);
      return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
    });
    const known = delays.filter((d): d is number => d !== undefined);
    return known.length > 0 ? Math.max(...known) : undefined;
  }

  private ref(): { Id: string; Port: number } {
    return { Id: this.target.id, Port: this.target.port };
  }

  private find(descriptions: readonly TargetHealthDescription[]): TargetHealthDescription | undefined {
    return descriptions.find((d) => d.Target?.Id === this.target.id && (d.Target.Port === undefined || d.Target.Port === this.target.port));
  }

  private eachGroup<T>(call: string, fn: (arn: string) => Promise<T>): Promise<T[]> {
    return Promise.all(
      this.targetGroupArns.map((arn) =>
        fn(arn).catch((cause: unknown) => {
          throw callFailed(call, arn, this.target, cause);
        }),
      ),
    );
  }
}

function healthOf(arn: string, description: TargetHealthDescription | undefined): TargetHealth {
  if (!description) {
    return { targetGroupArn: arn, state: 'unused', reason: 'Target.NotRegistered', description: 'not listed by DescribeTargetHealth' };
  }
  const health = description.TargetHealth;
  return { targetGroupArn: arn, state: stateOf(health?.State), reason: health?.Reason, description: health?.Description };
}

function stateOf(state: string | undefined): TargetState {
  switch (state) {
    case 'initial':
    case 'healthy':
    case 'unhealthy':
    case 'unused':
    case 'draining':
      return state;
    case 'unhealthy.draining':
      return 'draining';
    default:
      return 'unavailable';
  }
}

function callFailed(call: string, arn: string, target: { id: string; port: number }, cause: unknown): DeployError {
  const name = cause instanceof Error ? cause.name : 'Error';
  const message = cause instanceof Error ? cause.message : String(cause);
  const where = `${call} of ${target.id}:${target.port} in target group ${targetGroupName(arn)}`;
  const hint = /AccessDenied|UnauthorizedOperation/.test(name)
    ? `; the instance role needs ${iamAction[call] ?? call} on ${arn}`
    : name === 'TargetGroupNotFoundException' || name === 'TargetGroupNotFound'
      ? '; check loadBalancer.targetGroupArns in the agent config'
      : name === 'CredentialsProviderError'
        ? '; the agent found no AWS credentials (instance role, environment or shared config)'
        : '';
  return new DeployError('ELB_CALL_FAILED', `${where} failed: ${name}: ${message}${hint}`, { cause });
}
