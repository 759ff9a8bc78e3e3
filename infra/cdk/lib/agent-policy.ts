import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';

export interface AgentPolicyScope {
  /** The release bucket. */
  readonly bucket: s3.IBucket;
  /** The store's key prefix in the bucket, without leading or trailing '/'. */
  readonly prefix: string;
  /** The one target group the agent takes its instance out of and back into. */
  readonly targetGroupArn: string;
}

/**
 * Everything deploy-agent may do, and nothing more (DESIGN §1, §4). The
 * Terraform module (infra/terraform/iam.tf) grants the same statements; a test
 * compares the two.
 */
export function agentPolicyStatements(scope: AgentPolicyScope): iam.PolicyStatement[] {
  const { bucket, prefix, targetGroupArn } = scope;
  return [
    // desired.json, manifests, artifacts, other agents' locks (lease expiry) and the agent tarball.
    new iam.PolicyStatement({
      sid: 'ReadReleaseStore',
      actions: ['s3:GetObject'],
      resources: [bucket.arnForObjects(`${prefix}/*`)],
    }),
    // Listing is a bucket-level action; the condition keeps it inside the store.
    new iam.PolicyStatement({
      sid: 'ListReleaseStore',
      actions: ['s3:ListBucket'],
      resources: [bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${prefix}/*`] } },
    }),
    // The agent writes only its status report and its service-out slot; never releases or desired.json.
    new iam.PolicyStatement({
      sid: 'WriteStatusAndLocks',
      actions: ['s3:PutObject', 's3:DeleteObject'],
      resources: [bucket.arnForObjects(`${prefix}/instances/*`), bucket.arnForObjects(`${prefix}/locks/*`)],
    }),
    // Service-out deploys: this target group only.
    new iam.PolicyStatement({
      sid: 'ServiceOutOfTargetGroup',
      actions: ['elasticloadbalancing:RegisterTargets', 'elasticloadbalancing:DeregisterTargets'],
      resources: [targetGroupArn],
    }),
    // DescribeTargetHealth supports no resource-level permissions: '*' is the only resource IAM accepts.
    new iam.PolicyStatement({
      sid: 'ReadTargetHealth',
      actions: ['elasticloadbalancing:DescribeTargetHealth'],
      resources: ['*'],
    }),
  ];
}
