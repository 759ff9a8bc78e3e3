import { supervisorDefaults } from '../cluster/supervisor-options';

/** Where `deploy-agent` (and its status/reload/rollback commands) read the config when --config is not given. */
export const DEFAULT_CONFIG_PATH = '/etc/deploy-agent/config.json';

/**
 * Every default of the agent's configuration, in one place (DESIGN §5). The
 * README's config reference reads them from here (config-reference.ts); the
 * schema in config-file.ts never repeats them.
 */
export const agentDefaults = {
  /** The app section: the supervisor's own defaults (agent/cluster/supervisor-options.ts). */
  app: supervisorDefaults,
  healthCheck: { path: '/', timeoutMs: 10_000 },
  releasesDir: '/var/lib/deploy-agent',
  keep: 5,
  /**
   * 5 min: with reports written on every change, the heartbeat only proves an
   * idle agent alive; 288 PUTs a day (README "What an idle fleet costs").
   */
  heartbeatMs: 300_000,
  /** 15 s: a push is picked up after 7.5 s at the median, for 5,760 GETs a day. */
  pollIntervalMs: 15_000,
  limits: {
    maxArtifactBytes: 1024 ** 3,
    maxUnpackedBytes: 4 * 1024 ** 3,
    maxFiles: 200_000,
  },
  loadBalancer: {
    maxUnavailable: 1,
    /** When the target groups' deregistration delay cannot be read (ELBv2's own default). */
    drainTimeoutMs: 300_000,
    earlyDrain: true,
    drainQuietMs: 1_000,
    healthyTimeoutMs: 300_000,
    pollIntervalMs: 2_000,
    /**
     * 5 min: renewed every 100 s, so a lease outlives a normal drain (ALB's
     * default deregistration delay is 300 s) + roll + healthy wait even when
     * two renewals in a row fail; and a dead agent blocks the fleet 5 min at most.
     */
    slotLeaseMs: 300_000,
    /** 30 min: several instances ahead of this one, each minutes out of service. */
    slotWaitTimeoutMs: 1_800_000,
  },
  /** 60 s: renewed every 20 s; a dead runner holds the fleet's deploy of that version up a minute at most. */
  hooks: { onceLeaseMs: 60_000 },
  control: { socket: '/run/deploy-agent.sock' },
} as const;
