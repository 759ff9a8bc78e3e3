import type { SupervisorOptions } from '../cluster/supervisor-options';
import type { TrustedKey } from '../release/signing-keys';
import type { S3Options } from '../store/s3-options';
import type { UnpackLimitsConfig } from './unpack-limits-config';

/** The complete, validated, frozen configuration the agent runs with (built by load.ts). */
export interface RuntimeConfig {
  readonly configPath: string;
  readonly store: string;
  readonly s3: S3Options;
  readonly heartbeatMs: number;
  readonly app: Required<Omit<SupervisorOptions, 'workers'>> & { readonly workers: number | 'auto' } & {
    readonly user: number | undefined;
    readonly group: number | undefined;
  };
  readonly healthCheck: { readonly path: string; readonly timeoutMs: number } | undefined;
  readonly releasesDir: string;
  readonly keep: number;
  readonly pollIntervalMs: number;
  readonly limits: UnpackLimitsConfig;
  readonly loadBalancer:
    | {
        readonly targetGroupArns: readonly string[];
        readonly port: number;
        readonly maxUnavailable: number;
        readonly endpoint: string | undefined;
        readonly region: string | undefined;
        /** undefined: the target groups' deregistration delay (read at drain time). */
        readonly drainTimeoutMs: number | undefined;
        readonly earlyDrain: boolean;
        readonly drainQuietMs: number;
        readonly healthyTimeoutMs: number;
        readonly pollIntervalMs: number;
        /** undefined: all workers at once. */
        readonly maxSurge: number | undefined;
        readonly slotLeaseMs: number;
        readonly slotWaitTimeoutMs: number;
      }
    | undefined;
  /** SSM Parameter Store of release secrets (agent/secrets/). */
  readonly ssm: { readonly region: string | undefined; readonly endpoint: string | undefined };
  /** Release hooks (agent/hooks/). */
  readonly hooks: { readonly onceLeaseMs: number };
  readonly instanceId: string | undefined;
  /** Parsed at load (load.ts); empty: signatures are not checked. */
  readonly trustedKeys: readonly TrustedKey[];
  readonly control: { readonly socket: string; readonly metricsPort: number | undefined };
}
