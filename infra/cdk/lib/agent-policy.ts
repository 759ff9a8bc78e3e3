import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Stack } from 'aws-cdk-lib';

export interface AgentPolicyScope {
  /** The release bucket. */
  readonly bucket: s3.IBucket;
  /** The store's key prefix in the bucket, without leading or trailing '/'. */
  readonly prefix: string;
  /** The one target group the agent takes its instance out of and back into. */
  readonly targetGroupArn: string;
  /** SSM parameter path prefix of release secrets (`push --secret KEY=ssm:<prefix>/…`), with a leading '/', no trailing one. */
  readonly secretsPathPrefix: string;
  /** The region and account of those parameters (the stack's). */
  readonly stack: Stack;
  /** A customer managed KMS key of the SecureStrings, if any: kms:Decrypt on it, through SSM only. */
  readonly secretsKmsKeyArn?: string;
}

/**
 * Everything deploy-agent may do, and nothing more (DESIGN §1, §4). The
 * Terraform module (infra/terraform/iam.tf) grants the same statements; a test
 * compares the two.
 */
export function agentPolicyStatements(scope: AgentPolicyScope): iam.PolicyStatement[] {
  const { bucket, prefix, targetGroupArn, secretsPathPrefix, stack } = scope;
  const parameters = stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: `${secretsPathPrefix.replace(/^\//, '')}/*` });
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
    // Release secrets (DESIGN §8): GetParameters under the configured path prefix only.
    new iam.PolicyStatement({
      sid: 'ReadReleaseSecrets',
      actions: ['ssm:GetParameters'],
      resources: [parameters],
    }),
    // SecureStrings under a customer managed key: Decrypt with that key, and only on behalf of SSM.
    ...(scope.secretsKmsKeyArn === undefined
      ? []
      : [
          new iam.PolicyStatement({
            sid: 'DecryptReleaseSecrets',
            actions: ['kms:Decrypt'],
            resources: [scope.secretsKmsKeyArn],
            conditions: { StringEquals: { 'kms:ViaService': `ssm.${stack.region}.amazonaws.com` } },
          }),
        ]),
  ];
}
