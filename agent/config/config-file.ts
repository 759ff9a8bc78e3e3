import { z } from 'zod';
import { describeError } from '../errors';
import { parseTrustedKey } from '../release/signing-keys';
import { VERSION_PATTERN } from '../store/version-name';

/**
 * The agent's config file as the user writes it (DESIGN §5): every key is
 * optional but `store` and `app.port`; unknown keys are refused (a typo must
 * not silently fall back to a default). This is an external API: add keys,
 * never break them.
 *
 * Each key documents itself with `.meta()`, the one source of the README's
 * config reference (config-reference.ts, `npm run docs:config`):
 * - `description`: what the key means. The type and the range come from the
 *   schema itself, a fixed default from defaults.ts (never written here).
 * - `defaultNote`: only for a default that is not one fixed value in
 *   defaults.ts (derived at start, or the SDK's); `{default}` in it stands for
 *   the value in defaults.ts.
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

export const appSchema = z
  .strictObject({
    entry: z.string().min(1).optional().meta({ description: "Entry file, relative to the release dir (a manifest's `entry` wins)." }),
    port: positive(65_535).meta({ description: 'Port the app listens on; workers get it as `PORT` (and the release as `APP_VERSION`).' }),
    workers: z
      .union([z.literal('auto'), positive(256)])
      .optional()
      .meta({ description: 'Workers to run; `auto` = `os.availableParallelism()`.' }),
    env: z.record(z.string(), z.string()).optional().meta({ description: 'Extra environment of the workers.' }),
    args: z
      .array(z.string())
      .optional()
      .meta({ description: "Command-line arguments of the workers (`process.argv.slice(2)`); they never get the agent's own." }),
    user: z
      .union([z.string().min(1), z.number().int().min(0)])
      .optional()
      .meta({ description: 'Run the workers as this user (name or id); the agent must be root for this.', defaultNote: "the agent's own" }),
    group: z
      .union([z.string().min(1), z.number().int().min(0)])
      .optional()
      .meta({ description: 'Run the workers as this group (name or id).', defaultNote: "the agent's own" }),
    readiness: z
      .enum(['listening', 'message'])
      .optional()
      .meta({ description: "When a new worker is ready: once it listens on `app.port`, or once the app calls `process.send('ready')` and listens on `app.port`." }),
    startTimeoutMs: z.number().int().min(100).max(600_000).optional().meta({ description: 'A new worker must be ready within this.' }),
    shutdownTimeoutMs: ms(600_000)
      .optional()
      .meta({ description: 'A retired worker must exit within this, or gets SIGTERM (SIGKILL 5 s later).' }),
    maxSurge: positive(256)
      .optional()
      .meta({ description: 'New workers started at once during a roll; as many as `app.workers` replaces them all in one step.' }),
    drainPreload: z
      .boolean()
      .optional()
      .meta({ description: 'Inject the drain preload (keep-alive and WebSocket draining, see *Draining without resets*).' }),
    idleGraceMs: ms(60_000)
      .optional()
      .meta({ description: 'Idle keep-alive sockets of a draining worker close after this, and not before the keep-alive timeout the app announced (out of service: after this).' }),
    wsCloseWindowMs: ms(600_000).optional().meta({ description: 'WebSocket closes (code 1012) after a roll are spread over this.' }),
    stableMs: ms(600_000).optional().meta({ description: 'New workers must stay up this long after a roll, or it is undone.' }),
    schedulingPolicy: z
      .enum(['rr', 'none'])
      .optional()
      .meta({ description: '`rr`: the primary hands out connections; `none`: the kernel does.' }),
    healthCheck: z
      .strictObject({
        path: z.string().startsWith('/').optional().meta({ description: 'Path to GET on `127.0.0.1:<app.port>`; any 2xx passes.' }),
        timeoutMs: z.number().int().min(100).max(600_000).optional().meta({ description: 'Retried until this has passed.' }),
      })
      .optional()
      .meta({ description: 'Checked over HTTP after each roll; a failure rolls back.', defaultNote: 'none (no check)' }),
  })
  .meta({ description: 'The app and how its workers are run and replaced.' });

export const configFileSchema = z.strictObject({
  store: z
    .string()
    .min(1)
    .refine((url) => !/^[a-z][a-z0-9+.-]*:\/\//i.test(url) || /^(s3|file):\/\//i.test(url), {
      message: 'expected s3://BUCKET/PREFIX, file:///path or a directory',
    })
    .meta({ description: 'The release store: `s3://BUCKET/PREFIX` or a directory (relative to the config file).' }),
  app: appSchema,
  s3: z
    .strictObject({
      region: z.string().min(1).optional().meta({ description: 'AWS region of the bucket.', defaultNote: '`AWS_REGION` / `AWS_DEFAULT_REGION`' }),
      endpoint: z
        .string()
        .url()
        .optional()
        .meta({ description: 'Endpoint of an S3-compatible server, e.g. `http://127.0.0.1:9000`.', defaultNote: "AWS's own" }),
      forcePathStyle: z
        .boolean()
        .optional()
        .meta({ description: 'Path-style URLs (the bucket in the path), for S3-compatible servers.', defaultNote: 'false (the SDK\'s)' }),
    })
    .optional()
    .meta({ description: 'S3 client settings for an `s3://` store (the standard AWS credential chain applies).', defaultNote: 'AWS defaults' }),
  heartbeatMs: z
    .number()
    .int()
    .min(1000)
    .max(3_600_000)
    .optional()
    .meta({
      description:
        'The agent writes its status report `instances/<id>.json` on every change, and this long after the last write when nothing changes (one S3 PUT each). `deployctl` counts a report older than `--stale-after` (default 3 × the default of this) as stale: with a longer heartbeat, pass a longer `--stale-after`.',
    }),
  releasesDir: z
    .string()
    .min(1)
    .optional()
    .meta({ description: 'Where unpacked releases, `current` and `state.json` live (relative to the config file).' }),
  keep: z
    .number()
    .int()
    .min(2)
    .max(100)
    .optional()
    .meta({ description: 'Unpacked releases kept on disk (the running and the previous one are never removed).' }),
  pollIntervalMs: z
    .number()
    .int()
    .min(100)
    .max(3_600_000)
    .optional()
    .meta({
      description:
        'How often `desired.json` is read (±20 % jitter; a local store is also watched): a push is picked up after half of this at the median; on S3 each read is one GET, billed even when answered 304.',
    }),
  limits: z
    .strictObject({
      maxArtifactBytes: z.number().int().min(1).optional().meta({ description: 'Compressed artifact size cap.' }),
      maxUnpackedBytes: z.number().int().min(1).optional().meta({ description: 'Unpacked size cap.' }),
      maxFiles: z.number().int().min(1).optional().meta({ description: 'Entry count cap.' }),
    })
    .optional()
    .meta({ description: 'Caps on what a release may unpack to; a bigger one is refused whole.' }),
  loadBalancer: z
    .strictObject({
      targetGroupArns: z
        .array(z.string().startsWith('arn:'))
        .min(1)
        .meta({ description: 'The ALB target groups this instance is registered in (instance targets).' }),
      port: positive(65_535).optional().meta({ description: 'Port the instance is registered on.', defaultNote: '`app.port`' }),
      maxUnavailable: z
        .number()
        .int()
        .min(1)
        .max(1000)
        .optional()
        .meta({ description: 'Instances of the fleet out of service at once (service-out slots).' }),
      endpoint: z
        .string()
        .url()
        .optional()
        .meta({ description: 'ELBv2 API endpoint (tests point it at the emulator).', defaultNote: "AWS's own" }),
      region: z
        .string()
        .min(1)
        .optional()
        .meta({ description: 'Region of the ELBv2 API.', defaultNote: 'the region in the first target group ARN' }),
      drainTimeoutMs: ms(3_600_000)
        .optional()
        .meta({
          description: 'A deregistered instance waits at most this long to drain, then goes on.',
          defaultNote: "the target groups' longest `deregistration_delay.timeout_seconds` (+ 2 polls), else {default}",
        }),
      earlyDrain: z
        .boolean()
        .optional()
        .meta({ description: 'Drained as soon as no connection is left open on the port; `false` waits for the ALB to report the target gone.' }),
      drainQuietMs: ms(60_000)
        .optional()
        .meta({ description: 'Early drain: no open connection for this long (counted once every group reports `draining`).' }),
      healthyTimeoutMs: z
        .number()
        .int()
        .min(1000)
        .max(3_600_000)
        .optional()
        .meta({ description: 'After RegisterTargets the instance must be `healthy` in every target group within this, or the deploy rolls back.' }),
      pollIntervalMs: z
        .number()
        .int()
        .min(100)
        .max(60_000)
        .optional()
        .meta({ description: 'How often DescribeTargetHealth is called while draining or registering.' }),
      maxSurge: positive(256)
        .optional()
        .meta({ description: 'New workers started at once during a service-out roll (there is no traffic then).', defaultNote: 'all workers' }),
      slotLeaseMs: z
        .number()
        .int()
        .min(10_000)
        .max(3_600_000)
        .optional()
        .meta({ description: "Lease of a service-out slot, renewed every third of it: how long a dead agent's slot blocks the fleet." }),
      slotWaitTimeoutMs: z
        .number()
        .int()
        .min(1_000)
        .max(86_400_000)
        .optional()
        .meta({ description: 'A service-out deploy waits this long for a free slot, then fails with `SLOT_TIMEOUT` naming the holders.' }),
    })
    .optional()
    .meta({
      description: 'The ALB this instance serves behind; setting it turns service-out deploys on.',
      defaultNote: 'none (rolling deploys only)',
    }),
  ssm: z
    .strictObject({
      region: z.string().min(1).optional().meta({ description: 'Region of SSM Parameter Store.', defaultNote: '`AWS_REGION`, else us-east-1' }),
      endpoint: z.string().url().optional().meta({ description: 'SSM API endpoint (tests point it at the emulator).', defaultNote: "AWS's own" }),
    })
    .optional()
    .meta({ description: "Where a release's `--secret KEY=ssm:/path` references are read (GetParameters, WithDecryption).", defaultNote: 'AWS defaults' }),
  hooks: z
    .strictObject({
      onceLeaseMs: z
        .number()
        .int()
        .min(1_000)
        .max(3_600_000)
        .optional()
        .meta({
          description:
            "Lease of the agent running a release's `once` hook (`locks/once-<version>.json`), renewed every third of it: how long after a runner dies another agent takes the hook over.",
        }),
    })
    .optional()
    .meta({ description: "How the agent runs a release's hooks (declared in the release's `deployctl.json`)." }),
  instanceId: z
    .string()
    .regex(VERSION_PATTERN, 'an instance id like i-0123456789abcdef0')
    .optional()
    .meta({
      description: "This instance's id in status reports, slots and targets.",
      defaultNote: 'the EC2 instance id from IMDSv2 when a `loadBalancer` is configured, else the host name',
    }),
  trustedKeys: z
    .array(trustedKeySchema)
    .optional()
    .meta({
      description:
        'Ed25519 public keys (PEM or one-line base64 SPKI, as `deployctl keygen` prints); when set, only releases signed by one of them deploy. Several at once for key rotation.',
      defaultNote: 'none (signatures not checked)',
    }),
  control: z
    .strictObject({
      socket: z
        .string()
        .min(1)
        .optional()
        .meta({ description: 'Unix socket (mode 0600) of `deploy-agent status|reload|rollback` (relative to the config file).' }),
      metricsPort: positive(65_535)
        .optional()
        .meta({ description: 'Serve Prometheus metrics on `127.0.0.1:<metricsPort>/metrics`.', defaultNote: 'off' }),
    })
    .optional()
    .meta({ description: 'What a person on the instance and a metrics scraper talk to.' }),
});

export type AgentConfigFile = z.input<typeof configFileSchema>;
