import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';

/**
 * The release store's bucket when the fleet creates one: SSE-S3 encrypted
 * (so the instance role needs no KMS permission), versioned, all public
 * access blocked, TLS only, owner-enforced, kept when the stack is deleted.
 * Agents rewrite instances/<id>.json on every heartbeat and create and delete
 * locks, so old versions of those expire after a day.
 */
export function createReleaseBucket(scope: Construct, id: string, prefix: string): s3.Bucket {
  return new s3.Bucket(scope, id, {
    encryption: s3.BucketEncryption.S3_MANAGED,
    versioned: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    removalPolicy: RemovalPolicy.RETAIN,
    lifecycleRules: [
      { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
      { id: 'expire-old-status-reports', prefix: `${prefix}/instances/`, noncurrentVersionExpiration: Duration.days(1), expiredObjectDeleteMarker: true },
      { id: 'expire-old-locks', prefix: `${prefix}/locks/`, noncurrentVersionExpiration: Duration.days(1), expiredObjectDeleteMarker: true },
    ],
  });
}
