import { ReleaseEnvironments } from './release-environments';
import { createSsmClient, type SsmOptions } from './ssm-client';
import { SsmSecrets } from './ssm-secrets';

/** Release environments under `releasesDir`, secrets from SSM (config `ssm`); the client is made on first use and kept. */
export function defaultEnvironments(releasesDir: string, ssm: () => SsmOptions): ReleaseEnvironments {
  let secrets: SsmSecrets | undefined;
  return new ReleaseEnvironments(releasesDir, () => (secrets ??= new SsmSecrets(createSsmClient(ssm()))));
}
