import { z } from 'zod';
import { DeployError } from '../errors';
import { VERSION_PATTERN } from './version-name';

/** A name of the release's env and secrets: what a shell and the workers accept as a variable name. */
export const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
/** A secret reference: an SSM Parameter Store name (letters, digits, _ . - /), absolute. */
export const SECRET_REF_PATTERN = /^ssm:\/[A-Za-z0-9_.\-/]{1,1010}$/;

/** The documents of the release store (DESIGN §1), validated wherever they are read. */
const version = z.string().regex(VERSION_PATTERN, 'a version like v42 (letters, digits, . _ -)');

export const manifestSchema = z.object({
  version,
  artifact: z.string().regex(/^releases\/[A-Za-z0-9][A-Za-z0-9._-]{0,127}\.tar\.gz$/, 'releases/<version>.tar.gz'),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hex digits'),
  size: z.number().int().nonnegative(),
  createdAt: z.string().datetime({ offset: true }),
  createdBy: z.string().min(1),
  entry: z.string().min(1).optional(),
  /** The release's own environment (`push --env-file/--env`), over app.env; covered by the signature. */
  env: z.record(z.string().regex(ENV_NAME_PATTERN, 'an environment variable name (letters, digits, _)'), z.string()).optional(),
  /** References to secrets (`push --secret KEY=ssm:/path`), resolved by the agent at deploy time; never values. */
  secrets: z.record(z.string().regex(ENV_NAME_PATTERN, 'an environment variable name (letters, digits, _)'), z.string().regex(SECRET_REF_PATTERN, 'ssm:/path/to/parameter')).optional(),
  /** The signing key's id (sha256 of its SPKI, 16 hex digits); covered by the signature. */
  keyId: z.string().regex(/^[0-9a-f]{16}$/, '16 lowercase hex digits').optional(),
  /** base64 ed25519 signature over canonicalManifest() (canonical-manifest.ts). */
  signature: z.string().min(1).optional(),
});

export const strategySchema = z.enum(['rolling', 'service-out']);

/**
 * desired.json's `rollout` (DESIGN §7): how the fleet takes the version. The
 * CLI resolves percentages against the live fleet when it writes it; agents
 * use only the counts. `batchSize` null means no limit (`--batch 100%`).
 */
export const rolloutPolicySchema = z.object({
  /** Unique per push or rollback: the records live under rollouts/<id>/. */
  id: z.string().regex(VERSION_PATTERN, 'letters, digits, . _ -'),
  canary: z.number().int().nonnegative(),
  /** As given: "2" or "25%". */
  batch: z.string().min(1),
  batchSize: z.number().int().positive().nullable(),
  bakeMs: z.number().int().nonnegative(),
  /** As given: "1" or "10%". */
  maxFailures: z.string().min(1),
  maxFailuresCount: z.number().int().positive(),
  deadlineMs: z.number().int().positive(),
  /** false with --no-revert. */
  revert: z.boolean(),
  startedAt: z.string().datetime({ offset: true }),
  /** Who pushed it (the manifest's createdBy style). */
  by: z.string().optional(),
});

export const desiredSchema = z.object({
  version,
  strategy: strategySchema,
  updatedAt: z.string().datetime({ offset: true }),
  previous: version.optional(),
  /** The rollout policy of this version (absent: every instance at once, as before rollouts existed). */
  rollout: rolloutPolicySchema.optional(),
  /** The last version that went live on the fleet: what a new instance starts on while the rollout is unproven, and where a revert goes. */
  lastGood: version.optional(),
  /** After a revert: the version reverted from, why, and its rollout id. */
  revertedFrom: version.optional(),
  revertReason: z.string().optional(),
  revertedRollout: z.string().optional(),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type DesiredState = z.infer<typeof desiredSchema>;
export type RolloutPolicy = z.infer<typeof rolloutPolicySchema>;
export type Strategy = z.infer<typeof strategySchema>;

/** Parses a store document; a bad one is a DeployError naming the document and the field. */
export function parseDocument<T>(schema: z.ZodType<T>, text: string, what: string): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new DeployError('STORE_DOCUMENT_INVALID', `${what} is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : '(root)';
    throw new DeployError('STORE_DOCUMENT_INVALID', `${what} is invalid at ${where}: ${issue?.message ?? 'unknown problem'}`, {
      cause: result.error,
    });
  }
  return result.data;
}

export function artifactKey(versionName: string): string {
  return `releases/${versionName}.tar.gz`;
}

export function manifestKey(versionName: string): string {
  return `releases/${versionName}.json`;
}

/** instances/<id>.json: one agent's report (DESIGN §1), written on every change of step and as a heartbeat. */
export const instanceStatusSchema = z.object({
  instanceId: z.string().min(1),
  agentVersion: z.string(),
  /** The release its workers run, null before the first one. */
  running: z.string().nullable(),
  /** What desired.json asked for when it last looked. */
  desired: z.string().nullable(),
  /** The deploy step (deploy-state.ts). */
  state: z.string(),
  workers: z.object({ ready: z.number().int().nonnegative(), total: z.number().int().nonnegative() }),
  lastDeploy: z
    .object({
      version: z.string(),
      result: z.enum(['succeeded', 'failed', 'rolled-back']),
      error: z.string().optional(),
      /** The stable code of the error (e.g. SIGNATURE_MISSING, ARTIFACT_HASH_MISMATCH). */
      errorCode: z.string().optional(),
      /** A failure after the deploy went live (the afterLive hook): reported, not rolled back. */
      warning: z.string().optional(),
      startedAt: z.string(),
      durationMs: z.number(),
    })
    .nullable(),
  /** The release hook running at the moment of the report (absent when none). */
  hook: z.object({ name: z.string(), version: z.string(), startedAt: z.string() }).optional(),
  /**
   * A deploy of the desired version that failed for a reason that says nothing
   * about the release (STORE_UNAVAILABLE, ARTIFACT_READ_FAILED, SLOT_LOST) and
   * is tried again at `nextTryAt`; absent otherwise.
   */
  retrying: z
    .object({
      version: z.string(),
      errorCode: z.string(),
      error: z.string(),
      /** Tries that failed so far. */
      attempts: z.number().int().positive(),
      nextTryAt: z.string(),
    })
    .optional(),
  /** When the report was written; an old one means the agent is gone (stale). */
  updatedAt: z.string().datetime({ offset: true }),
});

export type InstanceStatus = z.infer<typeof instanceStatusSchema>;

export function instanceKey(instanceId: string): string {
  return `instances/${instanceId}.json`;
}
