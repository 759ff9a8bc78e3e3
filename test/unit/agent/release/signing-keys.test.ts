import { generateKeyPairSync } from 'node:crypto';
import { parseSigningKey, parseTrustedKey } from '../../../../agent/release/signing-keys';

describe('signing keys', () => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const pem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
  const base64 = publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
  const privatePem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();

  it('reads a trusted key as PEM or as one-line base64 SPKI, with the same key id', () => {
    const fromPem = parseTrustedKey(pem);
    const fromBase64 = parseTrustedKey(base64);
    expect(fromPem).toEqual(fromBase64);
    expect(fromPem.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(fromPem.spki).toBe(base64);
    // Wrapped or padded with blanks, as a config file may hold it.
    expect(parseTrustedKey(`  ${base64.slice(0, 20)}\n${base64.slice(20)}\n`)).toEqual(fromPem);
  });

  it('gives the signing key the key id of its public half', () => {
    expect(parseSigningKey(privatePem, 'key.pem').keyId).toBe(parseTrustedKey(pem).keyId);
  });

  it('gives different keys different ids', () => {
    const other = generateKeyPairSync('ed25519').publicKey.export({ format: 'pem', type: 'spki' }).toString();
    expect(parseTrustedKey(other).keyId).not.toBe(parseTrustedKey(pem).keyId);
  });

  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
  test.each([
    ['a private key', privatePem, /is a PRIVATE key; put the public key here/],
    ['an RSA key', rsa.publicKey.export({ format: 'pem', type: 'spki' }).toString(), /is an rsa key; release signatures use ed25519/],
    ['base64 that is no key', Buffer.from('not a key at all').toString('base64'), /is not a base64 SPKI public key/],
    ['text that is not base64', 'ssh-ed25519 AAAA... me@laptop', /is neither a PEM public key nor base64 SPKI/],
    ['a damaged PEM', '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----', /is not a readable PEM public key/],
  ])('refuses %s as a trusted key, saying why', (_what, text, reason) => {
    expect(() => parseTrustedKey(text)).toThrow(reason);
  });

  test.each([
    ['a public key', pem, /signing key k\.pem is not a PEM private key \(it is a PUBLIC key; sign with the private one\)/],
    ['an RSA private key', rsa.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), /signing key k\.pem is an rsa key; release signatures use ed25519/],
    ['garbage', 'hello', /signing key k\.pem is not a PEM private key .*deployctl keygen/],
  ])('refuses %s as a signing key with SIGN_KEY_INVALID', (_what, text, reason) => {
    expect(() => parseSigningKey(text, 'k.pem')).toThrow(expect.objectContaining({ code: 'SIGN_KEY_INVALID', message: expect.stringMatching(reason) }));
  });
});
