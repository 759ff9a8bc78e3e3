import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { DeployError, describeError } from '../errors';

/**
 * The ed25519 keys of signed releases (DESIGN §1, §5), in the two forms an
 * operator handles: PEM (`-----BEGIN PUBLIC KEY-----`, SPKI) and the one-line
 * base64 of the same SPKI DER that goes into the agent's `trustedKeys`.
 * A key is named by its key id: the first 16 hex digits of the sha256 of its
 * SPKI DER (what `deployctl keygen` prints and a signed manifest's `keyId` says).
 */

/** A trusted public key as the runtime config holds it: plain, freezable data. */
export interface TrustedKey {
  /** sha256 of the SPKI DER, first 16 hex digits. */
  readonly keyId: string;
  /** The SPKI DER, base64 (the one-line form). */
  readonly spki: string;
}

const KEY_ID_HEX_DIGITS = 16;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The key id of a public key. */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(spkiDer(publicKey)).digest('hex').slice(0, KEY_ID_HEX_DIGITS);
}

/** The one-line base64 SPKI of a public key (a `trustedKeys` entry). */
export function spkiBase64(publicKey: KeyObject): string {
  return spkiDer(publicKey).toString('base64');
}

function spkiDer(publicKey: KeyObject): Buffer {
  return publicKey.export({ format: 'der', type: 'spki' });
}

/**
 * Parses a `trustedKeys` entry, PEM or one-line base64 SPKI; throws a plain
 * Error saying what is wrong (the config loader adds the key's index).
 */
export function parseTrustedKey(text: string): TrustedKey {
  const key = publicKeyFrom(text);
  return { keyId: keyIdOf(key), spki: spkiBase64(key) };
}

/** The KeyObject of a parsed trusted key (KeyObjects cannot live in the frozen config). */
export function publicKeyOf(trusted: TrustedKey): KeyObject {
  return createPublicKey({ key: Buffer.from(trusted.spki, 'base64'), format: 'der', type: 'spki' });
}

function publicKeyFrom(text: string): KeyObject {
  const trimmed = text.trim();
  if (/PRIVATE KEY-----/.test(trimmed)) {
    throw new Error('is a PRIVATE key; put the public key here (the .pub.pem file, or the base64 line deployctl keygen printed)');
  }
  let key: KeyObject;
  if (trimmed.startsWith('-----BEGIN')) {
    try {
      key = createPublicKey({ key: trimmed, format: 'pem' });
    } catch (error) {
      throw new Error(`is not a readable PEM public key (${describeError(error)})`);
    }
  } else {
    const compact = trimmed.replace(/\s+/g, '');
    if (!BASE64.test(compact)) throw new Error('is neither a PEM public key nor base64 SPKI (e.g. MCowBQYDK2VwAyEA...)');
    try {
      key = createPublicKey({ key: Buffer.from(compact, 'base64'), format: 'der', type: 'spki' });
    } catch (error) {
      throw new Error(`is not a base64 SPKI public key (${describeError(error)})`);
    }
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`is an ${key.asymmetricKeyType ?? 'unknown'} key; release signatures use ed25519 (deployctl keygen)`);
  return key;
}

/** A signing key read from a PEM file: the private half and the key id of its public half. */
export interface SigningKey {
  readonly privateKey: KeyObject;
  readonly keyId: string;
  readonly file: string;
}

/** Parses a PKCS8 PEM ed25519 private key (what `deployctl keygen` writes); SIGN_KEY_INVALID otherwise. */
export function parseSigningKey(pem: string, file: string): SigningKey {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: 'pem' });
  } catch (error) {
    const hint = /PUBLIC KEY-----/.test(pem) ? 'it is a PUBLIC key; sign with the private one' : describeError(error);
    throw new DeployError('SIGN_KEY_INVALID', `signing key ${file} is not a PEM private key (${hint}); create one with 'deployctl keygen'`, { cause: error });
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new DeployError(
      'SIGN_KEY_INVALID',
      `signing key ${file} is an ${privateKey.asymmetricKeyType ?? 'unknown'} key; release signatures use ed25519 (create one with 'deployctl keygen')`,
    );
  }
  return { privateKey, keyId: keyIdOf(createPublicKey(privateKey)), file };
}
