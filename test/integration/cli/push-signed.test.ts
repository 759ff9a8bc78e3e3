import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseTrustedKey } from '../../../agent/release/signing-keys';
import { verifyManifest } from '../../../agent/release/verify-manifest';
import { manifestSchema } from '../../../agent/store/documents';
import { DEFAULT_PRIVATE_NAME, DEFAULT_PUBLIC_NAME } from '../../../cli/commands/keygen';
import { lines, readJson, runCli, snapshotDir, writeTree } from '../../support/cli-harness';

let work: string;
let store: string;

beforeEach(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'deployctl-sign-'));
  store = path.join(work, 'store');
  await writeTree(path.join(work, 'app'), { 'server.js': '// app\n' });
  expect((await runCli(['keygen', '--out', 'keys'], { cwd: work })).code).toBe(0);
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

const keyFile = (): string => path.join(work, 'keys', DEFAULT_PRIVATE_NAME);
const trusted = async () => parseTrustedKey(await readFile(path.join(work, 'keys', DEFAULT_PUBLIC_NAME), 'utf8'));
const manifestOf = async (version: string) => manifestSchema.parse(await readJson(path.join(store, 'releases', `${version}.json`)));

describe('deployctl push --sign-key', () => {
  it('signs the manifest with the key, which the public key verifies', async () => {
    const run = await runCli(['push', 'v1', '--dir', 'app', '--store', store, '--sign-key', keyFile()], { cwd: work });

    expect(run.code).toBe(0);
    const key = await trusted();
    const manifest = await manifestOf('v1');
    expect(manifest).toMatchObject({ version: 'v1', keyId: key.keyId, signature: expect.stringMatching(/^[A-Za-z0-9+/]{86}==$/) });
    expect(verifyManifest(manifest, [key])).toEqual(key);
    expect(lines(run.stdout)).toContain(`signed with key ${key.keyId}`);
  });

  it('takes the key from DEPLOYCTL_SIGN_KEY and reports the keyId with --json', async () => {
    const run = await runCli(['push', 'v1', '--dir', 'app', '--store', store, '--json'], { cwd: work, env: { DEPLOYCTL_SIGN_KEY: keyFile() } });

    expect(run.code).toBe(0);
    const key = await trusted();
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, version: 'v1', keyId: key.keyId });
    expect(verifyManifest(await manifestOf('v1'), [key])).toEqual(key);
  });

  it('leaves the manifest unsigned without a key', async () => {
    const run = await runCli(['push', 'v1', '--dir', 'app', '--store', store, '--json'], { cwd: work });

    const summary = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(summary).toMatchObject({ ok: true, version: 'v1' });
    expect(summary).not.toHaveProperty('keyId');
    const manifest = await manifestOf('v1');
    expect(manifest.signature).toBeUndefined();
    expect(manifest.keyId).toBeUndefined();
  });

  it.each([
    ['a missing key file', 'nowhere.pem', /^deployctl: cannot read signing key .*nowhere\.pem: ENOENT/],
    ['a public key', path.join('keys', DEFAULT_PUBLIC_NAME), /^deployctl: signing key .* is not a PEM private key \(it is a PUBLIC key; sign with the private one\)/],
    ['an RSA key', 'rsa.pem', /^deployctl: signing key .*rsa\.pem is an rsa key; release signatures use ed25519/],
  ])('refuses %s before anything is uploaded', async (_what, file, reason) => {
    await writeFile(
      path.join(work, 'rsa.pem'),
      generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    );

    const run = await runCli(['push', 'v1', '--dir', 'app', '--store', store, '--sign-key', file], { cwd: work });

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(reason);
    expect(lines(run.stderr)).toHaveLength(1); // no packing or upload progress
    expect(await snapshotDir(store)).toEqual({});
  });
});
