import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../fs/atomic-write';
import type { Manifest } from '../store/documents';
import type { SecretResolver } from './secret-resolver';

/** A release's configuration as its manifest gives it: env values, secret references (never values). */
export interface ReleaseConfig {
  readonly env: Readonly<Record<string, string>>;
  readonly secrets: Readonly<Record<string, string>>;
}

/** What workers and hooks of a release get on top of app.env, and what must never be logged. */
export interface ResolvedEnvironment {
  /** The manifest's env, then the resolved secrets. */
  readonly env: Readonly<Record<string, string>>;
  /** The secret values (hook output is redacted with them). */
  readonly secretValues: readonly string[];
}

const recordSchema = z.object({ env: z.record(z.string(), z.string()), secrets: z.record(z.string(), z.string()) });

/**
 * The env of each release (DESIGN §8): `app.env`, then the manifest's `env`,
 * then its `secrets` resolved at deploy time (later wins). The configuration is
 * remembered beside the releases (`<releasesDir>/release-config/<version>.json`,
 * env values and secret *references* only), so a restarted agent serves
 * `current` with its env without the store; secrets are resolved again each
 * time, in memory only.
 */
export class ReleaseEnvironments {
  private readonly dir: string;

  constructor(
    releasesDir: string,
    /** Made on first use: an agent whose releases have no secrets never loads the SSM client. */
    private readonly resolver: () => Promise<SecretResolver>,
  ) {
    this.dir = path.join(releasesDir, 'release-config');
  }

  static configOf(manifest: Pick<Manifest, 'env' | 'secrets'>): ReleaseConfig {
    return { env: manifest.env ?? {}, secrets: manifest.secrets ?? {} };
  }

  async resolve(config: ReleaseConfig): Promise<ResolvedEnvironment> {
    const hasSecrets = Object.keys(config.secrets).length > 0;
    const secrets = hasSecrets ? await (await this.resolver()).resolve(config.secrets) : {};
    return { env: { ...config.env, ...secrets }, secretValues: Object.values(secrets) };
  }

  async remember(version: string, config: ReleaseConfig): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.file(version), `${JSON.stringify({ env: config.env, secrets: config.secrets })}\n`);
  }

  /** The remembered configuration of `version`; none (empty) when it was deployed before releases had one. */
  async recall(version: string): Promise<ReleaseConfig> {
    try {
      const parsed = recordSchema.safeParse(JSON.parse(await readFile(this.file(version), 'utf8')));
      return parsed.success ? parsed.data : { env: {}, secrets: {} };
    } catch {
      return { env: {}, secrets: {} };
    }
  }

  async forget(version: string): Promise<void> {
    await rm(this.file(version), { force: true });
  }

  private file(version: string): string {
    return path.join(this.dir, `${version}.json`);
  }
}
