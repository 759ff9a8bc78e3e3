import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { verifyManifest } from '../../../agent/release/verify-manifest';
import { parseTrustedKey } from '../../../agent/release/signing-keys';
import { manifestSchema } from '../../../agent/store/documents';
import { readJson, runCli, writeTree } from '../../support/cli-harness';

let work: string;
let store: string;

beforeEach(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'deployctl-pushcfg-'));
  store = path.join(work, 'store');
  await writeTree(path.join(work, 'app'), { 'server.js': 'require("http").createServer().listen(0);\n' });
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

const manifestOf = async (version: string) => manifestSchema.parse(await readJson(path.join(store, 'releases', `${version}.json`)));
const push = (...args: string[]) => runCli(['push', ...args, '--store', store], { cwd: work });

describe('deployctl push: per-release configuration', () => {
  it('puts --env-file, then --env (which wins), and --secret references into the manifest, and prints only names', async () => {
    await writeFile(path.join(work, 'prod.env'), '# settings\nexport LOG_LEVEL=info\nGREETING="hello\\nworld" # quoted\nRAW=\'a $b\'\n\nEMPTY=\n');

    const run = await push('v1', '--dir', 'app', '--env-file', 'prod.env', '--env', 'LOG_LEVEL=debug', '--env', 'URL=http://x/?a=b', '--secret', 'DB_PASSWORD=ssm:/app/prod/db-password');

    expect(run.code).toBe(0);
    const manifest = await manifestOf('v1');
    expect(manifest.env).toEqual({ LOG_LEVEL: 'debug', GREETING: 'hello\nworld', RAW: 'a $b', EMPTY: '', URL: 'http://x/?a=b' });
    expect(manifest.secrets).toEqual({ DB_PASSWORD: 'ssm:/app/prod/db-password' });
    expect(run.stdout).toContain('env: EMPTY, GREETING, LOG_LEVEL, RAW, URL; secrets: DB_PASSWORD');
    expect(run.stdout).not.toContain('debug');
  });

  it('signs env and secrets with the manifest: a changed env value breaks the signature', async () => {
    const keygen = await runCli(['keygen', '--private', 'release.key', '--public', 'release.pub'], { cwd: work });
    expect(keygen.code).toBe(0);
    const pem = await readFile(path.join(work, 'release.pub'), 'utf8');
    const run = await push('v1', '--dir', 'app', '--sign-key', 'release.key', '--env', 'MODE=safe');
    expect(run.code).toBe(0);
    const manifest = await manifestOf('v1');
    const trusted = [parseTrustedKey(pem)];

    expect(() => verifyManifest(manifest, trusted)).not.toThrow();
    expect(() => verifyManifest({ ...manifest, env: { MODE: 'unsafe' } }, trusted)).toThrow(expect.objectContaining({ code: 'SIGNATURE_INVALID' }));
  });

  it('--from makes a new version on the existing artifact: no upload, same sha256, new env', async () => {
    expect((await push('v1', '--dir', 'app', '--env', 'COLOR=blue')).code).toBe(0);
    const before = await readdir(path.join(store, 'releases'));

    const run = await push('v2', '--from', 'v1', '--env', 'COLOR=green');

    expect(run.code).toBe(0);
    expect(run.stderr).not.toMatch(/uploaded|packing/);
    const [v1, v2] = [await manifestOf('v1'), await manifestOf('v2')];
    expect(v2).toMatchObject({ version: 'v2', artifact: 'releases/v1.tar.gz', sha256: v1.sha256, size: v1.size, entry: v1.entry, env: { COLOR: 'green' } });
    expect((await readdir(path.join(store, 'releases'))).sort()).toEqual([...before, 'v2.json'].sort());
  });

  it('prune removes an old release but keeps its artifact while a kept --from release uses it', async () => {
    expect((await push('v1', '--dir', 'app')).code).toBe(0);
    expect((await push('v2', '--from', 'v1', '--env', 'A=1')).code).toBe(0);
    expect((await push('v3', '--from', 'v1', '--env', 'A=2')).code).toBe(0);

    const run = await runCli(['prune', '--keep', '1', '--store', store], { cwd: work });

    expect(run.code).toBe(0);
    // v3 is the newest (kept), v2 the previous (kept): both run on v1's artifact.
    expect(run.stdout).toMatch(/removed v1 .*; its artifact stays, v2, v3 use it/);
    expect((await readdir(path.join(store, 'releases'))).sort()).toEqual(['v1.tar.gz', 'v2.json', 'v3.json']);
  });

  it('releases lists env and secret names, never their values (text and --json)', async () => {
    expect((await push('v1', '--dir', 'app', '--env', 'API_URL=https://internal.example', '--secret', 'TOKEN=ssm:/app/token')).code).toBe(0);

    const text = await runCli(['releases', '--store', store], { cwd: work });
    const json = await runCli(['releases', '--json', '--store', store], { cwd: work });

    expect(text.stdout).toMatch(/env: API_URL; secrets: TOKEN/);
    expect(JSON.parse(json.stdout)).toMatchObject({ releases: [{ version: 'v1', env: ['API_URL'], secrets: ['TOKEN'] }] });
    for (const out of [text.stdout, json.stdout]) expect(out).not.toContain('internal.example');
  });

  it.each([
    [['--dir', 'app', '--from', 'v0'], /exactly one of --dir PATH, --file FILE.tar.gz or --from VERSION/],
    [['--from', 'v0', '--entry', 'x.js'], /--entry cannot be changed with --from/],
    [['--dir', 'app', '--env', 'NOEQUALS'], /--env "NOEQUALS": expected KEY=VALUE/],
    [['--dir', 'app', '--env', '1BAD=x'], /expected KEY=VALUE with KEY made of letters/],
    [['--dir', 'app', '--env', 'PORT=80'], /PORT is set by the agent/],
    [['--dir', 'app', '--secret', 'TOKEN=plain-value'], /--secret TOKEN: "plain-value" is not a reference like ssm:\/path/],
    [['--dir', 'app', '--env', 'TOKEN=x', '--secret', 'TOKEN=ssm:/t'], /TOKEN is given both/],
  ])('refuses push %j with exit 2 and a message naming the problem', async (args, message) => {
    const run = await push('v1', ...args);

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it('refuses a malformed --env-file naming the file and line, and a --from release that does not exist', async () => {
    await writeFile(path.join(work, 'bad.env'), 'OK=1\nthis is not a pair\n');

    const bad = await push('v1', '--dir', 'app', '--env-file', 'bad.env');
    const missing = await push('v1', '--from', 'v0');

    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/bad\.env:2: expected KEY=value/);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/--from v0: there is no release v0/);
  });
});
