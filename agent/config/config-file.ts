import { z } from 'zod';
import { describeError } from '../errors';
import { parseTrustedKey } from '../release/signing-keys';
import { VERSION_PATTERN } from '../store/version-name';

/**
 * The agent's config file as the user writes it (DESIGN §5): every key is
 * optional but `store` and `app.port`; unknown keys are refused (a typo must
 * not silently fall back to a default). This is an external API: add keys,
 * never break them. Defaults live in defaults.ts.
 */
const ms = (max: number) => z.number().int().min(0).max(max);
const positive = (max: number) => z.number().int().min(1).max(max);

/** One `trustedKeys` entry: must parse as an ed25519 public key (the issue names the entry's index). */
const trustedKeySchema = z.string().superRefine((text, ctx) => {
  try {
    parseTrustedKey(text);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: text.trim() === '' ? 'is empty; expected an ed25519 public key' : describeError(error) });
  }
});

export const appSchema = z.strictObject({
  /** Entry file, relative to the release dir (a manifest's `entry` wins). @default 'server.js' */
  entry: z.string().min(1).optional(),
  /** Port the app listens on; workers get it as PORT. 1-65535. */
  port: z.number().int().min(1).max(65_535),
  /** Workers to run; 'auto' = os.availableParallelism(). 1-256. @default 'auto' */
  workers: z.union([z.literal('auto'), positive(256)]).optional(),
  /** Extra environment of the workers. @default {} */
  env: z.record(z.string(), z.string()).optional(),
  /** Run workers as this user / group (name or id); the agent must be root for this. @default the agent's own */
  user: z.union([z.string().min(1), z.number().int().min(0)]).optional(),
  group: z.union([z.string().min(1), z.number().int().min(0)]).optional(),
  /** 'listening', or 'message' (the app calls process.send('ready')). @default 'listening' */
  readiness: z.enum(['listening', 'message']).optional(),
  /** A new worker must be ready within this. 100-600000. @default 30000 */
  startTimeoutMs: z.number().int().min(100).max(600_000).optional(),
  /** A retired worker must exit within this or is killed. 0-600000. @default 30000 */
  shutdownTimeoutMs: ms(600_000).optional(),
  /** New workers started at once during a roll. 1-256. @default 1 */
  maxSurge: positive(256).optional(),
  /** Inject the drain preload (keep-alive and WebSocket draining). @default true */
  drainPreload: z.boolean().optional(),
  /** Idle keep-alive sockets of a draining worker are closed after this. 0-60000. @default 1000 */
  idleGraceMs: ms(60_000).optional(),
  /** WebSocket closes after a roll are spread over this. 0-600000. @default 2000 */
  wsCloseWindowMs: ms(600_000).optional(),
  /** New workers must stay up this long after a roll, or it is undone. 0-600000. @default 1000 */
  stableMs: ms(600_000).optional(),
  /** 'rr': the primary hands out connections; 'none': the kernel does. @default 'rr' */
  schedulingPolicy: z.enum(['rr', 'none']).optional(),
  /** Checked over HTTP after each roll; a failure rolls back. @default none */
  healthCheck: z
    .strictObject({
      /** Path to GET on 127.0.0.1:port; any 2xx passes. @default '/' */
      path: z.string().startsWith('/').optional(),
      /** Retries until this has passed. 100-600000. @default 10000 */
      timeoutMs: z.number().int().min(100).max(600_000).optional(),
    })
    .optional(),
});

export const configFileSchema = z.strictObject({
  /** Where releases come from: s3://BUCKET/PREFIX or a directory. */
  store: z.string().min(1),
  app: appSchema,
  /** S3 client settings for an s3:// store (the standard credential chain is used). @default region from AWS_REGION */
  s3: z
    .strictObject({
      /** AWS region of the bucket. @default AWS_REGION / AWS_DEFAULT_REGION */
      region: z.string().min(1).optional(),
      /** Endpoint of an S3-compatible server, e.g. http://127.0.0.1:9000. @default AWS */
      endpoint: z.string().url().optional(),
      /** Path-style URLs (bucket in the path), for S3-compatible servers. @default false */
      forcePathStyle: z.boolean().optional(),
    })
    .optional(),
  /** Seconds between heartbeat status reports (instances/<id>.json). 1000-3600000. @default 30000 */
  heartbeatMs: z.number().int().min(1000).max(3_600_000).optional(),
  /** Where unpacked releases, `current` and state.json live. @default '/var/lib/deploy-agent' */
  releasesDir: z.string().min(1).optional(),
  /** Unpacked releases kept on disk (the running and the previous one are never removed). 2-100. @default 5 */
  keep: z.number().int().min(2).max(100).optional(),
  /** How often desired.json is read (a local store is also watched). 100-3600000. @default 5000 */
  pollIntervalMs: z.number().int().min(100).max(3_600_000).optional(),
  limits: z
    .strictObject({
      /** @default 1 GiB */ maxArtifactBytes: z.number().int().min(1).optional(),
      /** @default 4 GiB */ maxUnpackedBytes: z.number().int().min(1).optional(),
      /** @default 200000 */ maxFiles: z.number().int().min(1).optional(),
    })
    .optional(),
  loadBalancer: z
    .strictObject({
      /** The ALB target groups this instance is registered in (instance targets). */
      targetGroupArns: z.array(z.string().startsWith('arn:')).min(1),
      /** Port the instance is registered on. 1-65535. @default app.port */
      port: z.number().int().min(1).max(65_535).optional(),
      /** Instances of the fleet out of service at once. 1-1000. @default 1 */
      maxUnavailable: z.number().int().min(1).max(1000).optional(),
      /** ELBv2 API endpoint (tests point it at an emulator). @default AWS's own */
      endpoint: z.string().url().optional(),
      /** @default the region in the first target group ARN */
      region: z.string().min(1).optional(),
      /** A deregistered instance waits at most this long to drain. 0-3600000. @default the target groups' longest deregistration_delay.timeout_seconds (+ 2 polls), else 300000 */
      drainTimeoutMs: ms(3_600_000).optional(),
      /** Done draining as soon as no connection is left open (not only when the ALB reports the target gone). @default true */
      earlyDrain: z.boolean().optional(),
      /** Early drain: no open connection for this long counts as drained. 0-60000. @default 1000 */
      drainQuietMs: ms(60_000).optional(),
      /** A registered instance must be `healthy` in every target group within this. 1000-3600000. @default 300000 */
      healthyTimeoutMs: z.number().int().min(1000).max(3_600_000).optional(),
      /** How often DescribeTargetHealth is called while draining or registering. 100-60000. @default 2000 */
      pollIntervalMs: z.number().int().min(100).max(60_000).optional(),
      /** New workers started at once during a service-out roll (no traffic then). 1-256. @default all workers */
      maxSurge: positive(256).optional(),
      /** Lease of a service-out slot (renewed every third of it); how long a dead agent's slot blocks the fleet. 10000-3600000. @default 300000 */
      slotLeaseMs: z.number().int().min(10_000).max(3_600_000).optional(),
      /** How long a service-out deploy waits for a free slot before it fails with SLOT_TIMEOUT. 1000-86400000. @default 1800000 */
      slotWaitTimeoutMs: z.number().int().min(1_000).max(86_400_000).optional(),
    })
    .optional(),
  /** This instance's id; when absent: from EC2 IMDSv2 if a loadBalancer is configured, else the host name. */
  instanceId: z.string().regex(VERSION_PATTERN, 'an instance id like i-0123456789abcdef0').optional(),
  /**
   * Ed25519 public keys (PEM or one-line base64 SPKI, as `deployctl keygen` prints); when set, only
   * releases signed by one of them deploy (unsigned, badly signed and unknown-key ones are refused).
   * Several at once for key rotation. @default none (signatures not checked)
   */
  trustedKeys: z.array(trustedKeySchema).optional(),
  control: z
    .strictObject({
      /** Unix socket (mode 0600) of `deploy-agent status|reload|rollback`; relative to the config file's directory. @default '/run/deploy-agent.sock' */
      socket: z.string().min(1).optional(),
      /** Prometheus metrics at http://127.0.0.1:metricsPort/metrics. 1-65535. @default off */
      metricsPort: z.number().int().min(1).max(65_535).optional(),
    })
    .optional(),
});

export type AgentConfigFile = z.input<typeof configFileSchema>;
