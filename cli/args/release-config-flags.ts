import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DeployError } from '../../agent/errors';
import { ENV_NAME_PATTERN, SECRET_REF_PATTERN } from '../../agent/store/documents';
import { UsageError } from './usage-error';
import { parseDotenv } from './dotenv';

/** A release's configuration as a push gives it (the manifest's `env` and `secrets`). */
export interface ReleaseConfig {
  readonly env: Readonly<Record<string, string>>;
  /** KEY → `ssm:/path/to/parameter`. */
  readonly secrets: Readonly<Record<string, string>>;
}

/** Names the agent sets itself: a release cannot set them (they would be overwritten, or confuse the hooks). */
const RESERVED = /^(PORT|APP_VERSION|NODE_UNIQUE_ID|DEPLOYCTL_.*)$/;

/**
 * `--env-file FILE` (dotenv), then every `--env KEY=VALUE` (a later one wins),
 * and every `--secret KEY=ssm:/path`. A name may not be both env and secret.
 */
export async function readReleaseConfig(
  flags: { readonly envFile: string | undefined; readonly env: readonly string[]; readonly secret: readonly string[] },
  cwd: string,
): Promise<ReleaseConfig> {
  const env: Record<string, string> = {};
  if (flags.envFile !== undefined) {
    const file = path.resolve(cwd, flags.envFile);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new DeployError('ENV_FILE_INVALID', `cannot read --env-file ${file}: ${(error as Error).message}`, { cause: error });
    }
    Object.assign(env, parseDotenv(text, file));
  }
  for (const pair of flags.env) {
    const [key, value] = splitPair('--env', pair, 'KEY=VALUE');
    env[key] = value;
  }
  const secrets: Record<string, string> = {};
  for (const pair of flags.secret) {
    const [key, ref] = splitPair('--secret', pair, 'KEY=ssm:/path/to/parameter');
    if (!SECRET_REF_PATTERN.test(ref)) {
      throw new UsageError(`--secret ${key}: ${JSON.stringify(ref)} is not a reference like ssm:/path/to/parameter (an SSM parameter name; the value itself never goes in the manifest)`);
    }
    secrets[key] = ref;
  }
  for (const key of [...Object.keys(env), ...Object.keys(secrets)]) {
    if (RESERVED.test(key)) throw new UsageError(`${key} is set by the agent (PORT, APP_VERSION, DEPLOYCTL_*); a release cannot set it`);
  }
  const both = Object.keys(secrets).find((key) => key in env);
  if (both !== undefined) throw new UsageError(`${both} is given both as --env/--env-file and as --secret; give it once`);
  return { env, secrets };
}

function splitPair(flag: string, pair: string, shape: string): [string, string] {
  const at = pair.indexOf('=');
  const key = at < 0 ? pair : pair.slice(0, at);
  if (at < 0 || !ENV_NAME_PATTERN.test(key)) throw new UsageError(`${flag} ${JSON.stringify(pair)}: expected ${shape} with KEY made of letters, digits and _`);
  return [key, pair.slice(at + 1)];
}
