import { randomBytes } from 'node:crypto';
import { targetGroupNotFound, validationError } from './api-error';
import { TargetGroup, type TargetGroupDeps } from './target-group';
import { resolveTargetGroupConfig, type TargetGroupOptions } from './target-group-config';

/** The account and region every emulated ARN carries. */
export const ACCOUNT_ID = '123456789012';
export const REGION = 'us-east-1';

const targetGroupArnPattern = /^arn:aws:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup\/[A-Za-z0-9-]{1,32}\/[0-9a-f]{16}$/;

export function loadBalancerArn(name: string): string {
  return `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT_ID}:loadbalancer/app/${name}/${randomBytes(8).toString('hex')}`;
}

/** Every target group of one emulator, by ARN, in creation order. */
export class TargetGroupRegistry {
  private readonly groups = new Map<string, TargetGroup>();

  constructor(private readonly deps: TargetGroupDeps) {}

  /** Creates a target group (a test hook: there is no CreateTargetGroup action); returns its ARN. */
  create(options: TargetGroupOptions): TargetGroup {
    const config = resolveTargetGroupConfig(options);
    if (this.all().some((g) => g.config.name === config.name)) {
      throw new Error(`createTargetGroup: a target group named '${config.name}' already exists`);
    }
    const arn = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT_ID}:targetgroup/${config.name}/${randomBytes(8).toString('hex')}`;
    const group = new TargetGroup(arn, config, this.deps);
    this.groups.set(arn, group);
    return group;
  }

  /** The group with this ARN; ValidationError for a malformed ARN, TargetGroupNotFound for an unknown one. */
  get(arn: string | undefined): TargetGroup {
    if (arn === undefined || arn === '') throw validationError("A target group ARN must be specified");
    if (!targetGroupArnPattern.test(arn)) throw validationError(`'${arn}' is not a valid target group ARN`);
    const group = this.groups.get(arn);
    if (!group) throw targetGroupNotFound(`Target groups '${arn}' not found`);
    return group;
  }

  byName(name: string): TargetGroup {
    const group = this.all().find((g) => g.config.name === name);
    if (!group) throw targetGroupNotFound(`Target groups '${name}' not found`);
    return group;
  }

  all(): TargetGroup[] {
    return [...this.groups.values()];
  }

  stop(): void {
    for (const group of this.groups.values()) group.stop();
  }
}
