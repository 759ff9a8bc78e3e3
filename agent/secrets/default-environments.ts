import { ReleaseEnvironments } from './release-environments';
import type { SecretResolver } from './secret-resolver';
import type { SsmOptions } from './ssm-client';

/**
 * Release environments under `releasesDir`, secrets from SSM (config `ssm`).
 * The SSM SDK is loaded, and its client made, on the first release with
 * secrets (and kept): an agent starts as fast without them.
 */
export function defaultEnvironments(releasesDir: string, ssm: () => SsmOptions): ReleaseEnvironments {
  let secrets: Promise<SecretResolver> | undefined;
  const load = async (): Promise<SecretResolver> => {
    const [{ SsmSecrets }, { createSsmClient }] = await Promise.all([import('./ssm-secrets'), import('./ssm-client')]);
    return new SsmSecrets(createSsmClient(ssm()));
  };
  return new ReleaseEnvironments(releasesDir, () => (secrets ??= load().catch((error: unknown) => {
    secrets = undefined;
    throw error;
  })));
}
