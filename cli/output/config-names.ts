import type { Manifest } from '../../agent/store/documents';

/** The names of a release's env and secrets, never their values (push, releases, status). */
export function configNameLists(manifest: Pick<Manifest, 'env' | 'secrets'>): { env: string[]; secrets: string[] } {
  return { env: Object.keys(manifest.env ?? {}).sort(), secrets: Object.keys(manifest.secrets ?? {}).sort() };
}

/** `env: A, B; secrets: C`; empty when the release has neither. */
export function configNames(manifest: Pick<Manifest, 'env' | 'secrets'>): string {
  const { env, secrets } = configNameLists(manifest);
  return [env.length > 0 ? `env: ${env.join(', ')}` : '', secrets.length > 0 ? `secrets: ${secrets.join(', ')}` : ''].filter((p) => p !== '').join('; ');
}
