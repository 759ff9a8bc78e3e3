import { sign } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DeployError } from '../../agent/errors';
import { parseSigningKey, type SigningKey } from '../../agent/release/signing-keys';
import { canonicalManifest } from '../../agent/store/canonical-manifest';
import type { Manifest } from '../../agent/store/documents';

/**
 * Reads the ed25519 private key of `push --sign-key FILE` (or DEPLOYCTL_SIGN_KEY),
 * before anything is uploaded: SIGN_KEY_UNREADABLE / SIGN_KEY_INVALID.
 */
export async function readSigningKey(file: string, cwd: string): Promise<SigningKey> {
  const resolved = path.resolve(cwd, file);
  let pem: string;
  try {
    pem = await readFile(resolved, 'utf8');
  } catch (error) {
    throw new DeployError('SIGN_KEY_UNREADABLE', `cannot read signing key ${resolved}: ${(error as Error).message}`, { cause: error });
  }
  return parseSigningKey(pem, resolved);
}

/** The manifest with the signer's `keyId` and an ed25519 `signature` over canonicalManifest() (which covers keyId). */
export function signManifest(manifest: Manifest, key: SigningKey): Manifest {
  const unsigned: Manifest = { ...manifest, keyId: key.keyId };
  delete unsigned.signature;
  const signature = sign(null, Buffer.from(canonicalManifest(unsigned), 'utf8'), key.privateKey).toString('base64');
  return { ...unsigned, signature };
}
