import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../../support/fixture-releases';
import { runCommand } from '../../support/run-command';
import { startS3Server, type S3Server } from '../../support/s3-server';

/**
 * deployctl runs on Node 22 and 24 (the current LTS) without a word about the
 * runtime. CI runs this file on the machine's Node and again on Node 24; on a
 * Node the AWS SDK no longer supports (20), its own notice shows, which is what
 * proves this test would see one.
 */
const bin = path.join(repoRoot(), 'dist', 'cli', 'main.js');
const major = Number(process.versions.node.split('.')[0]);
const supported = major >= 22;

let s3: S3Server;
let work: string;

beforeAll(async () => {
  s3 = await startS3Server();
  await s3.bucket('runtime');
  work = await mkdtemp(path.join(os.tmpdir(), 'deployctl-runtime-'));
});

afterAll(async () => {
  await s3?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe(`deployctl on Node ${process.version}`, () => {
  it(`reads an s3:// store ${supported ? 'without any runtime warning' : "with the AWS SDK's end-of-support notice (Node < 22)"}`, async () => {
    // The machine's environment, less the switch the test servers set to silence the SDK's notice.
    const env: NodeJS.ProcessEnv = { ...process.env, DEPLOYCTL_S3_ENDPOINT: s3.endpoint, DEPLOYCTL_S3_FORCE_PATH_STYLE: '1', AWS_REGION: 'us-east-1' };
    delete env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'];
    delete env['NODE_OPTIONS'];

    const run = await runCommand(process.execPath, [bin, 'status', '--store', 's3://runtime/app'], { cwd: work, env, timeoutMs: 60_000 });

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^desired: none \(nothing pushed to s3:\/\/runtime\/app yet\)/);
    if (supported) expect(run.stderr).toBe('');
    else expect(run.stderr).toMatch(/NodeVersionSupportWarning/);
  });

  it('says which Node it runs on with --version', async () => {
    const run = await runCommand(process.execPath, [bin, '--version'], { cwd: work, timeoutMs: 30_000 });

    expect(run).toEqual({ code: 0, stdout: expect.stringMatching(new RegExp(`^deployctl \\d+\\.\\d+\\.\\d+ \\(Node ${process.version.replace(/\./g, '\\.')}\\)\\n$`)), stderr: '' });
  });
});
