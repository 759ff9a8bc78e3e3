import { GetParametersCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { DeployError } from '../errors';
import type { SecretResolver } from './secret-resolver';

/** GetParameters takes at most 10 names a call. */
export const SSM_BATCH_SIZE = 10;

const PREFIX = 'ssm:';

/**
 * Secrets from SSM Parameter Store: GetParameters `WithDecryption` (so
 * SecureStrings come back decrypted with their KMS key), 10 names a call.
 * A name SSM lists as invalid is SECRET_NOT_FOUND; AccessDeniedException (IAM
 * or KMS) is SECRET_ACCESS_DENIED naming the parameter and the action needed;
 * anything else (network, throttling after the client's retries) is
 * SECRETS_UNAVAILABLE. Messages name parameters and keys, never values.
 */
export class SsmSecrets implements SecretResolver {
  constructor(private readonly client: SSMClient) {}

  async resolve(references: Readonly<Record<string, string>>): Promise<Record<string, string>> {
    const names = [...new Set(Object.values(references).map(parameterName))];
    const values = new Map<string, string>();
    for (let i = 0; i < names.length; i += SSM_BATCH_SIZE) {
      const batch = names.slice(i, i + SSM_BATCH_SIZE);
      const out = await this.get(batch);
      const missing = out.InvalidParameters ?? [];
      if (missing.length > 0) {
        const keys = Object.entries(references).filter(([, ref]) => missing.includes(parameterName(ref))).map(([key]) => key);
        throw new DeployError('SECRET_NOT_FOUND', `SSM parameter ${missing.join(', ')} (secret ${keys.join(', ')}) does not exist; create it (aws ssm put-parameter --type SecureString) or push with the right --secret`);
      }
      for (const parameter of out.Parameters ?? []) if (parameter.Name !== undefined && parameter.Value !== undefined) values.set(parameter.Name, parameter.Value);
    }
    const resolved: Record<string, string> = {};
    for (const [key, ref] of Object.entries(references)) {
      const value = values.get(parameterName(ref));
      if (value === undefined) throw new DeployError('SECRET_NOT_FOUND', `SSM answered no value for ${parameterName(ref)} (secret ${key})`);
      resolved[key] = value;
    }
    return resolved;
  }

  private async get(batch: readonly string[]) {
    try {
      return await this.client.send(new GetParametersCommand({ Names: [...batch], WithDecryption: true }));
    } catch (error) {
      const name = (error as { name?: unknown }).name;
      if (name === 'AccessDeniedException') {
        const kms = /kms/i.test((error as Error).message);
        const which = mentioned(batch, (error as Error).message) ?? batch.join(', ');
        throw new DeployError(
          'SECRET_ACCESS_DENIED',
          `access denied reading SSM parameter ${which}: the instance role needs ${kms ? 'kms:Decrypt on the key of the SecureString' : 'ssm:GetParameters on it'}${kms ? '' : ' (and kms:Decrypt on its key if it is a SecureString with a customer managed key)'}; grant it on the parameter path prefix (infra/ does)`,
          { cause: error },
        );
      }
      throw new DeployError('SECRETS_UNAVAILABLE', `cannot read SSM parameters ${batch.join(', ')}: ${(error as Error).message}`, { cause: error });
    }
  }
}

export function parameterName(reference: string): string {
  return reference.startsWith(PREFIX) ? reference.slice(PREFIX.length) : reference;
}

function mentioned(batch: readonly string[], message: string): string | undefined {
  return batch.find((name) => message.includes(`parameter${name}`) || message.includes(`parameter/${name}`));
}
