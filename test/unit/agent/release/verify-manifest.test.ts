import { generateKeyPairSync, sign } from 'node:crypto';
import { parseSigningKey, parseTrustedKey, type SigningKey, type TrustedKey } from '../../../../agent/release/signing-keys';
import { verifyManifest } from '../../../../agent/release/verify-manifest';
import { canonicalManifest } from '../../../../agent/store/canonical-manifest';
import type { Manifest } from '../../../../agent/store/documents';
import { signManifest } from '../../../../cli/publish/sign-manifest';

interface Pair {
  readonly signing: SigningKey;
  readonly pem: string;
  readonly base64: string;
}

function newPair(): Pair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    signing: parseSigningKey(privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), 'test.key'),
    pem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    base64: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
  };
}

const unsigned: Manifest = {
  version: 'v7',
  artifact: 'releases/v7.tar.gz',
  sha256: 'b'.repeat(64),
  size: 4096,
  createdAt: '2024-05-01T12:00:00.000Z',
  createdBy: 'ci@build-7',
  entry: 'server.js',
};

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}

describe('verifyManifest', () => {
  const oldKey = newPair();
  const newKey = newPair();
  const stranger = newPair();
  const trustOld: TrustedKey[] = [parseTrustedKey(oldKey.pem)];
  const trustBoth: TrustedKey[] = [parseTrustedKey(oldKey.pem), parseTrustedKey(newKey.base64)];

  it('accepts a manifest signed by a trusted key and names that key', () => {
    const signed = signManifest(unsigned, oldKey.signing);
    expect(signed.keyId).toBe(oldKey.signing.keyId);
    expect(verifyManifest(signed, trustOld)).toEqual(trustOld[0]);
  });

  it('checks nothing when the agent has no trusted keys', () => {
    expect(verifyManifest(unsigned, [])).toBeUndefined();
  });

  it('accepts the same key given as PEM or as base64 SPKI', () => {
    const signed = signManifest(unsigned, oldKey.signing);
    expect(verifyManifest(signed, [parseTrustedKey(oldKey.base64)])?.keyId).toBe(oldKey.signing.keyId);
    expect(verifyManifest(signed, [parseTrustedKey(oldKey.pem)])?.keyId).toBe(oldKey.signing.keyId);
  });

  it('accepts releases signed by the old and by the new key while both are trusted (rotation)', () => {
    expect(verifyManifest(signManifest(unsigned, oldKey.signing), trustBoth)?.keyId).toBe(oldKey.signing.keyId);
    expect(verifyManifest(signManifest({ ...unsigned, version: 'v8', artifact: 'releases/v8.tar.gz' }, newKey.signing), trustBoth)?.keyId).toBe(
      newKey.signing.keyId,
    );
    // Once the old key is dropped, its releases are no longer trusted.
    expect(codeOf(() => verifyManifest(signManifest(unsigned, oldKey.signing), [parseTrustedKey(newKey.pem)]))).toBe('SIGNATURE_UNTRUSTED');
  });

  it('refuses an unsigned manifest with SIGNATURE_MISSING, naming the trusted keys and what to do', () => {
    expect(() => verifyManifest(unsigned, trustBoth)).toThrow(
      expect.objectContaining({
        code: 'SIGNATURE_MISSING',
        message: expect.stringMatching(new RegExp(`releases/v7\\.json is not signed.*${oldKey.signing.keyId}, ${newKey.signing.keyId}.*--sign-key`)),
      }),
    );
  });

  it('refuses a manifest signed by an unknown key with SIGNATURE_UNTRUSTED, naming the signer', () => {
    const signed = signManifest(unsigned, stranger.signing);
    expect(() => verifyManifest(signed, trustBoth)).toThrow(
      expect.objectContaining({ code: 'SIGNATURE_UNTRUSTED', message: expect.stringContaining(`signed by key ${stranger.signing.keyId}, which is not one of`) }),
    );
  });

  const tampered: [string, Partial<Manifest>][] = [
    ['sha256', { sha256: 'c'.repeat(64) }],
    ['size', { size: 4097 }],
    ['entry', { entry: 'evil.js' }],
    ['entry removed', { entry: undefined }],
    ['artifact', { artifact: 'releases/v6.tar.gz' }],
    ['version', { version: 'v6' }],
    ['createdAt', { createdAt: '2024-05-02T12:00:00.000Z' }],
    ['createdBy', { createdBy: 'mallory@laptop' }],
  ];
  it.each(tampered)('refuses a manifest whose %s changed after signing with SIGNATURE_INVALID', (_field, change) => {
    const signed = signManifest(unsigned, oldKey.signing);
    expect(() => verifyManifest({ ...signed, ...change }, trustOld)).toThrow(
      expect.objectContaining({ code: 'SIGNATURE_INVALID', message: expect.stringMatching(/changed after it was signed/) }),
    );
  });

  it('refuses a keyId switched to another trusted key, or removed, with SIGNATURE_INVALID', () => {
    const signed = signManifest(unsigned, oldKey.signing);
    expect(codeOf(() => verifyManifest({ ...signed, keyId: newKey.signing.keyId }, trustBoth))).toBe('SIGNATURE_INVALID');
    expect(codeOf(() => verifyManifest({ ...signed, keyId: undefined }, trustBoth))).toBe('SIGNATURE_INVALID');
  });

  it('refuses a signature that is not 64 bytes of base64', () => {
    const signed = signManifest(unsigned, oldKey.signing);
    expect(() => verifyManifest({ ...signed, signature: 'not*base64' }, trustOld)).toThrow(
      expect.objectContaining({ code: 'SIGNATURE_INVALID', message: expect.stringMatching(/malformed signature/) }),
    );
    expect(codeOf(() => verifyManifest({ ...signed, signature: Buffer.alloc(32).toString('base64') }, trustOld))).toBe('SIGNATURE_INVALID');
  });

  it('accepts a signature without keyId (another signing tool) when one trusted key verifies it', () => {
    const signature = sign(null, Buffer.from(canonicalManifest(unsigned)), newKey.signing.privateKey).toString('base64');
    expect(verifyManifest({ ...unsigned, signature }, trustBoth)?.keyId).toBe(newKey.signing.keyId);
    expect(codeOf(() => verifyManifest({ ...unsigned, signature }, trustOld))).toBe('SIGNATURE_INVALID');
  });
});
