import { verify } from 'node:crypto';
import { DeployError } from '../errors';
import { canonicalManifest } from '../store/canonical-manifest';
import { manifestKey, type Manifest } from '../store/documents';
import { publicKeyOf, type TrustedKey } from './signing-keys';

/** The trusted key that verified a manifest, or undefined when the agent has no trustedKeys (nothing checked). */
export type VerifiedSigner = TrustedKey | undefined;

const ED25519_SIGNATURE_BYTES = 64;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Checks a release manifest against the agent's `trustedKeys` before its
 * artifact is downloaded (DESIGN §5). With no trusted keys, every manifest
 * passes. Otherwise:
 * - no `signature` → SIGNATURE_MISSING;
 * - a `keyId` that is not one of the trusted keys → SIGNATURE_UNTRUSTED;
 * - a signature that does not verify over canonicalManifest() with the named
 *   key (or, without `keyId`, with any trusted key) → SIGNATURE_INVALID.
 * Several trusted keys at once is how keys are rotated: a release signed by
 * any of them is accepted. The signature covers sha256 and size, so a swapped
 * artifact is caught by the hash check of the unpack.
 */
export function verifyManifest(manifest: Manifest, trustedKeys: readonly TrustedKey[]): VerifiedSigner {
  if (trustedKeys.length === 0) return undefined;
  const what = manifestKey(manifest.version);
  const trusted = trustedKeys.map((k) => k.keyId).join(', ');
  if (manifest.signature === undefined) {
    throw new DeployError(
      'SIGNATURE_MISSING',
      `${what} is not signed, and this agent deploys only releases signed by one of its trustedKeys (${trusted}); publish it as a new version with 'deployctl push --sign-key FILE'`,
    );
  }
  const signature = decodeSignature(manifest.signature);
  if (signature === undefined) {
    throw new DeployError('SIGNATURE_INVALID', `${what} has a malformed signature (not ${ED25519_SIGNATURE_BYTES} bytes of base64 ed25519); do not deploy it, push it again signed`);
  }
  const signed = Buffer.from(canonicalManifest(manifest), 'utf8');
  if (manifest.keyId !== undefined) {
    const key = trustedKeys.find((k) => k.keyId === manifest.keyId);
    if (key === undefined) {
      throw new DeployError(
        'SIGNATURE_UNTRUSTED',
        `${what} is signed by key ${manifest.keyId}, which is not one of this agent's trustedKeys (${trusted}); add that key's public half to trustedKeys, or push with a trusted key`,
      );
    }
    if (verify(null, signed, publicKeyOf(key), signature)) return key;
    throw new DeployError(
      'SIGNATURE_INVALID',
      `${what} does not match its signature by key ${key.keyId}: the manifest was changed after it was signed (or the signature is damaged); do not deploy it, push the release again`,
    );
  }
  const signer = trustedKeys.find((k) => verify(null, signed, publicKeyOf(k), signature));
  if (signer) return signer;
  throw new DeployError(
    'SIGNATURE_INVALID',
    `${what} has a signature that none of this agent's trustedKeys (${trusted}) verifies: it was changed after signing or signed by an unknown key; push it again with 'deployctl push --sign-key FILE'`,
  );
}

function decodeSignature(text: string): Buffer | undefined {
  if (!BASE64.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.length === ED25519_SIGNATURE_BYTES ? bytes : undefined;
}
