/** How to reach an s3:// store. Everything optional: the SDK's standard chain fills the rest. */
export interface S3Options {
  /** AWS region of the bucket. @default AWS_REGION / AWS_DEFAULT_REGION, else us-east-1 */
  readonly region?: string;
  /** An S3-compatible endpoint (tests, MinIO). @default AWS's own */
  readonly endpoint?: string;
  /** Bucket in the path instead of the host name. @default false */
  readonly forcePathStyle?: boolean;
}
