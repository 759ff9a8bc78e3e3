import { createPublicKey } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseSigningKey, parseTrustedKey } from '../../../agent/release/signing-keys';
import { DEFAULT_PRIVATE_NAME, DEFAULT_PUBLIC_NAME } from '../../../cli/commands/keygen';
import { lines, runCli } from '../../support/cli-harness';

let work: string;

beforeEach(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'deployctl-keygen-'));
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

const modeOf = async (file: string): Promise<number> => (await stat(file)).mode & 0o777;

describe('deployctl keygen', () => {
  it('writes an ed25519 private key (PKCS8, mode 0600) and its public key, and prints the trustedKeys line', async () => {
    const run = await runCli(['keygen', '--out', 'keys'], { cwd: work });

    expect(run.code).toBe(0);
    const privateFile = path.join(work, 'keys', DEFAULT_PRIVATE_NAME);
    const publicFile = path.join(work, 'keys', DEFAULT_PUBLIC_NAME);
    const privatePem = await readFile(privateFile, 'utf8');
    const publicPem = await readFile(publicFile, 'utf8');
    expect(privatePem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(publicPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    expect(await modeOf(privateFile)).toBe(0o600);
    const signing = parseSigningKey(privatePem, privateFile);
    const trusted = parseTrustedKey(publicPem);
    expect(signing.keyId).toBe(trusted.keyId);
    const out = lines(run.stdout);
    expect(out).toEqual([
      `wrote private key ${privateFile} (mode 0600; keep it secret: it signs releases)`,
      `wrote public key  ${publicFile}`,
      `key id ${trusted.keyId}`,
      'add this line to "trustedKeys" in the agents\' config:',
      trusted.spki,
    ]);
    expect(createPublicKey({ key: Buffer.from(trusted.spki, 'base64'), format: 'der', type: 'spki' }).asymmetricKeyType).toBe('ed25519');
  });

  it('writes to --private and --public and answers --json with the key id and the trustedKeys line', async () => {
    const run = await runCli(['keygen', '--private', 'ci/sign.pem', '--public', 'pub/sign.pub.pem', '--json'], { cwd: work });

    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as Record<string, unknown>;
    const trusted = parseTrustedKey(await readFile(path.join(work, 'pub', 'sign.pub.pem'), 'utf8'));
    expect(result).toEqual({
      ok: true,
      keyId: trusted.keyId,
      privateKey: path.join(work, 'ci', 'sign.pem'),
      publicKey: path.join(work, 'pub', 'sign.pub.pem'),
      trustedKey: trusted.spki,
    });
    expect(await modeOf(path.join(work, 'ci', 'sign.pem'))).toBe(0o600);
  });

  it('never overwrites a key: refuses when either file exists and leaves both untouched', async () => {
    await writeFile(path.join(work, DEFAULT_PRIVATE_NAME), 'the only copy of a precious key\n');

    const run = await runCli(['keygen'], { cwd: work });

    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `deployctl: ${path.join(work, DEFAULT_PRIVATE_NAME)} already exists; keygen never overwrites a key (a lost private key cannot be recovered): choose another --out or --private path, or move the old file away\n`,
    );
    expect(await readFile(path.join(work, DEFAULT_PRIVATE_NAME), 'utf8')).toBe('the only copy of a precious key\n');
    await expect(stat(path.join(work, DEFAULT_PUBLIC_NAME))).rejects.toMatchObject({ code: 'ENOENT' });

    // A public file in the way: nothing is written either, not even the private key.
    await writeFile(path.join(work, 'taken.pub'), 'x');
    const second = await runCli(['keygen', '--private', 'fresh.key', '--public', 'taken.pub', '--json'], { cwd: work });
    expect(second.code).toBe(1);
    expect(JSON.parse(second.stdout)).toMatchObject({ ok: false, code: 'KEY_FILE_EXISTS' });
    await expect(stat(path.join(work, 'fresh.key'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  test.each([
    [['keygen', '--private', 'a.key'], /^deployctl: --private and --public go together/],
    [['keygen', '--out', 'x', '--private', 'a.key', '--public', 'a.pub'], /^deployctl: give either --out DIR or --private FILE --public FILE, not both/],
    [['keygen', '--private', 'same', '--public', 'same'], /^deployctl: --private and --public must be different files/],
    [['keygen', 'extra'], /^deployctl: unexpected argument "extra"/],
  ])('refuses %j with a usage error', async (args, reason) => {
    const run = await runCli(args, { cwd: work });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(reason);
  });
});
