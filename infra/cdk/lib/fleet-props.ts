import { Duration } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { AgentPackage } from './agent-package';

export interface DeployAgentFleetProps {
  /** The VPC to run in. @default - a new VPC: 2 AZs, public subnets for the load balancer, private subnets with one NAT gateway and an S3 gateway endpoint for the instances */
  readonly vpc?: ec2.IVpc;
  /** Subnets of the instances. @default - the VPC's private subnets */
  readonly instanceSubnets?: ec2.SubnetSelection;
  /** The release bucket. @default - a new bucket: SSE-S3, versioned, public access blocked, TLS only, retained on stack deletion */
  readonly releaseBucket?: s3.IBucket;
  /** Key prefix of the release store in the bucket (the store is s3://BUCKET/PREFIX); no leading or trailing '/'. @default 'app' */
  readonly releasePrefix?: string;
  /** The deploy-agent tarball the instances install at boot. @default AgentPackage.fromReleaseStore('agent/deploy-agent.tgz') */
  readonly agentPackage?: AgentPackage;
  /** Port the app listens on, and the target group's port. 1-65535. @default 3000 */
  readonly appPort?: number;
  /** Workers per instance (the agent's app.workers). 1-256 or 'auto'. @default 'auto' */
  readonly workers?: number | 'auto';
  /** EC2 instance type (x86_64 or arm64). @default t3.small */
  readonly instanceType?: ec2.InstanceType;
  /** Fewest instances. @default 2 */
  readonly minCapacity?: number;
  /** Most instances. @default 4 */
  readonly maxCapacity?: number;
  /** Instances out of service at once during a service-out deploy (the agent's loadBalancer.maxUnavailable). 1-1000. @default 1 */
  readonly maxUnavailable?: number;
  /** Path the load balancer's health check requests; 200-299 is healthy. @default '/' */
  readonly healthCheckPath?: string;
  /** How long the load balancer drains a deregistered target. 0-3600 seconds. @default Duration.seconds(60) */
  readonly deregistrationDelay?: Duration;
  /** Whether the load balancer is reachable from the internet. @default true */
  readonly internetFacing?: boolean;
  /** Certificates for an HTTPS listener on 443 (port 80 then redirects to it). @default - plain HTTP on port 80 */
  readonly certificates?: elbv2.IListenerCertificate[];
  /** Attach AmazonSSMManagedInstanceCore to the instance role (Session Manager shell access). @default false */
  readonly enableSsm?: boolean;
  /**
   * SSM Parameter Store path prefix of release secrets (`deployctl push --secret KEY=ssm:/prefix/…`): the
   * instance role may call ssm:GetParameters on parameters under it only. Leading '/', no trailing one.
   * @default - '/' + releasePrefix
   */
  readonly secretsPathPrefix?: string;
  /** ARN of the customer managed KMS key of those SecureStrings: kms:Decrypt on it, via SSM only. @default - none (the AWS managed aws/ssm key needs no grant) */
  readonly secretsKmsKeyArn?: string;
}

/** Every default of DeployAgentFleetProps, in one place. */
export const fleetDefaults = {
  releasePrefix: 'app',
  agentPackageKey: 'agent/deploy-agent.tgz',
  appPort: 3000,
  workers: 'auto',
  instanceType: 't3.small',
  minCapacity: 2,
  maxCapacity: 4,
  maxUnavailable: 1,
  healthCheckPath: '/',
  deregistrationDelaySeconds: 60,
  internetFacing: true,
  enableSsm: false,
} as const;

/** A store prefix: '/'-separated segments of S3-safe characters (infra/terraform/variables.tf checks the same regex). */
export const RELEASE_PREFIX_REGEX = '^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$';
const RELEASE_PREFIX_PATTERN = new RegExp(RELEASE_PREFIX_REGEX);

/** Throws on the first prop that is out of range, naming it and what was expected. */
export function validateFleetProps(props: DeployAgentFleetProps): void {
  const prefix = props.releasePrefix ?? fleetDefaults.releasePrefix;
  if (!RELEASE_PREFIX_PATTERN.test(prefix) || prefix.length > 200) {
    fail('releasePrefix', `'/'-separated segments of letters, digits, '.', '_' and '-', without leading or trailing '/', at most 200 characters`, prefix);
  }
  const secrets = props.secretsPathPrefix;
  if (secrets !== undefined && (!/^(\/[A-Za-z0-9_.-]+)+$/.test(secrets) || secrets.length > 1000)) {
    fail('secretsPathPrefix', "an SSM parameter path like /app/prod: '/'-separated segments of letters, digits, '_', '.' and '-', a leading '/', no trailing one", secrets);
  }
  checkInteger('appPort', props.appPort, 1, 65_535);
  if (props.workers !== 'auto') checkInteger('workers', props.workers, 1, 256);
  checkInteger('minCapacity', props.minCapacity, 0, 10_000);
  checkInteger('maxCapacity', props.maxCapacity, 1, 10_000);
  checkInteger('maxUnavailable', props.maxUnavailable, 1, 1000);
  const min = props.minCapacity ?? fleetDefaults.minCapacity;
  const max = props.maxCapacity ?? fleetDefaults.maxCapacity;
  if (min > max) fail('minCapacity', `at most maxCapacity (${max})`, min);
  const path = props.healthCheckPath ?? fleetDefaults.healthCheckPath;
  if (!/^\/[\x21-\x7e]*$/.test(path) || path.length > 1024) fail('healthCheckPath', "a path starting with '/', printable characters only", path);
  const delay = props.deregistrationDelay;
  if (delay !== undefined && !delay.isUnresolved()) {
    const seconds = delay.toSeconds();
    if (!Number.isInteger(seconds) || seconds < 0 || seconds > 3600) fail('deregistrationDelay', '0-3600 whole seconds', `${seconds}s`);
  }
}

function checkInteger(name: string, value: number | undefined, min: number, max: number): void {
  if (value !== undefined && (!Number.isInteger(value) || value < min || value > max)) fail(name, `a whole number from ${min} to ${max}`, value);
}

function fail(name: string, expected: string, got: unknown): never {
  throw new Error(`DeployAgentFleet: ${name} must be ${expected}, got ${JSON.stringify(got)}`);
}
