import { canonicalJson, canonicalManifest } from '../../../../agent/store/canonical-manifest';
import type { Manifest } from '../../../../agent/store/documents';

const manifest: Manifest = {
  version: 'v42',
  artifact: 'releases/v42.tar.gz',
  sha256: 'a'.repeat(64),
  size: 1234,
  createdAt: '2024-05-01T12:00:00.000Z',
  createdBy: 'ci@build-7',
  entry: 'server.js',
  keyId: '0123456789abcdef',
};

describe('canonicalManifest', () => {
  it('is JSON with sorted keys and no whitespace', () => {
    expect(canonicalManifest(manifest)).toBe(
      '{"artifact":"releases/v42.tar.gz","createdAt":"2024-05-01T12:00:00.000Z","createdBy":"ci@build-7","entry":"server.js",' +
        `"keyId":"0123456789abcdef","sha256":"${'a'.repeat(64)}","size":1234,"version":"v42"}`,
    );
  });

  it('leaves the signature out, so signing does not change what is signed', () => {
    expect(canonicalManifest({ ...manifest, signature: 'c2lnbmF0dXJl' })).toBe(canonicalManifest(manifest));
  });

  it('does not depend on the order of the keys', () => {
    const reversed = Object.fromEntries(Object.entries(manifest).reverse()) as Manifest;
    expect(canonicalManifest(reversed)).toBe(canonicalManifest(manifest));
  });

  it.each(['version', 'artifact', 'sha256', 'size', 'createdAt', 'createdBy', 'entry', 'keyId'] as const)('covers %s', (field) => {
    const changed = { ...manifest, [field]: field === 'size' ? 1235 : `${String(manifest[field])}x` } as Manifest;
    expect(canonicalManifest(changed)).not.toBe(canonicalManifest(manifest));
  });

  it('leaves absent optional fields out rather than writing null', () => {
    const bare: Manifest = { ...manifest, entry: undefined, keyId: undefined };
    expect(canonicalManifest(bare)).not.toMatch(/entry|keyId|null/);
  });

  it('escapes strings as JSON does and refuses numbers JSON cannot hold', () => {
    expect(canonicalJson({ b: 'quote " and \n newline', a: [1, true, null] })).toBe('{"a":[1,true,null],"b":"quote \\" and \\n newline"}');
    expect(() => canonicalJson({ size: Number.NaN })).toThrow(/NaN/);
  });
});
