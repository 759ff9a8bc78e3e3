import { ListObjectsV2Command, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { controlStatusSchema } from '../../agent/control/control-status';
import { runCli } from '../support/cli-harness';
import { runControl } from '../support/control-harness';
import { startFaultRig, type FaultRig } from '../support/fault-rig';
import { startLoad } from '../support/load/load-client';
import { startS3Server, type S3Server } from '../support/s3-server';
import type { SpawnedAgent } from '../support/spawned-agent';
import { startSsmEmulator, type SsmEmulator } from '../support/ssm/ssm-emulator';
import { waitUntil } from '../support/with-timeout';

/** Every file under `dir`, recursively (symlinks not followed). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return filesUnder(full);
    return e.isFile() ? [full] : [];
  });
}

/** The environment of a running process, from /proc. */
function environOf(pid: number): Record<string, string> {
  const raw = readFileSync(`/proc/${pid}/environ`, 'utf8');
  return Object.fromEntries(raw.split('\0').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
}

/**
 * One real agent on an S3 store, its secrets in the SSM emulator: the
 * release's env and secrets reach the workers (and hooks), secret values reach
 * nothing else, a configuration change pushed with --from rolls with no
 * failed request.
 */
describe('per-release configuration and secrets (real agent, S3 store, SSM emulator)', () => {
  let s3: S3Server;
  let ssm: SsmEmulator;
  let rig: FaultRig;
  let agent: SpawnedAgent;
  const secret = `sv-${randomBytes(12).toString('hex')}`;

  const workerPids = async (): Promise<number[]> => {
    const run = await runControl(['status', '--json', '--config', path.join(rig.work, 'agent.json')], { cwd: rig.work });
    return controlStatusSchema.parse((JSON.parse(run.stdout) as { result: unknown }).result).slots.flatMap((s) => (s.pid === null ? [] : [s.pid]));
  };
  const report = () => rig.report();

  beforeAll(async () => {
    s3 = await startS3Server();
    ssm = await startSsmEmulator();
    ssm.put('/app/prod/db-password', { value: secret });
    ssm.put('/other-team/key', { value: 'theirs' });
    ssm.deny('/other-team/');
    rig = await startFaultRig(s3, { ssm: { endpoint: ssm.endpoint, region: 'us-east-1' } });
    const hooks = JSON.stringify({ hooks: { prepare: 'echo "preparing with db=$DB_PASSWORD greeting=$GREETING"' } });
    await rig.push('v1', { 'deployctl.json': hooks }, ['--env', 'GREETING=hi', '--secret', 'DB_PASSWORD=ssm:/app/prod/db-password']);
    agent = rig.spawn();
    await rig.converged('v1', 60_000);
  }, 120_000);

  afterAll(async () => {
    await rig?.close();
    await ssm?.stop();
    await s3?.stop();
  }, 60_000);

  it('gives the workers app.env, the release env and the resolved secret', async () => {
    const pids = await workerPids();
    expect(pids.length).toBe(2);
    for (const pid of pids) expect(environOf(pid)).toMatchObject({ GREETING: 'hi', DB_PASSWORD: secret, APP_VERSION: 'v1' });
    expect(ssm.requests.some((r) => r.withDecryption && r.names.includes('/app/prod/db-password'))).toBe(true);
  });

  it('never writes the secret value to disk, the store, a log line, a status report or a control-socket answer', async () => {
    const onDisk = filesUnder(rig.work).filter((file) => statSync(file).size < 50_000_000 && readFileSync(file).includes(secret));
    const s3Client = new S3Client({ ...s3.options, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const bucket = rig.storeUrl.slice('s3://'.length).split('/')[0] ?? '';
    const keys = ((await s3Client.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map((o) => o.Key ?? '');
    const inStore: string[] = [];
    for (const key of keys) {
      const body = await (await s3Client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body?.transformToByteArray();
      if (body && Buffer.from(body).includes(secret)) inStore.push(key);
    }
    s3Client.destroy();
    const status = await runCli(['status', '--json', '--store', rig.storeUrl], { cwd: rig.work, env: rig.cliEnv });
    const releases = await runCli(['releases', '--json', '--store', rig.storeUrl], { cwd: rig.work, env: rig.cliEnv });
    const control = await runControl(['status', '--json', '--config', path.join(rig.work, 'agent.json')], { cwd: rig.work });

    expect(keys.length).toBeGreaterThan(2);
    expect(onDisk).toEqual([]);
    expect(inStore).toEqual([]);
    expect(JSON.stringify(agent.logs)).not.toContain(secret);
    expect(agent.logs.some((l) => l.hook === 'prepare' && String(l.msg).includes('db=*** greeting=hi'))).toBe(true);
    for (const answer of [status.stdout, releases.stdout, control.stdout]) expect(answer).not.toContain(secret);
    expect(JSON.parse(status.stdout)).toMatchObject({ desiredConfig: { env: ['GREETING'], secrets: ['DB_PASSWORD'] } });
  });

  it.each([
    ['a missing parameter', 'ssm:/app/prod/nope', 'SECRET_NOT_FOUND', /\/app\/prod\/nope \(secret TOKEN\) does not exist/],
    ['a parameter the role may not read', 'ssm:/other-team/key', 'SECRET_ACCESS_DENIED', /\/other-team\/key: the instance role needs ssm:GetParameters/],
  ])('fails the version on %s before any worker changes', async (_what, ref, code, message) => {
    const version = code === 'SECRET_NOT_FOUND' ? 'v2' : 'v3';
    const before = await workerPids();
    const pushed = await runCli(['push', version, '--from', 'v1', '--store', rig.storeUrl, '--env', 'GREETING=hi', '--secret', `TOKEN=${ref}`], { cwd: rig.work, env: rig.cliEnv });
    expect(pushed.code).toBe(0);

    await waitUntil(async () => (await report())?.lastDeploy?.version === version, 60_000, `the deploy of ${version} to end`);

    const r = await report();
    expect(r).toMatchObject({ running: 'v1', lastDeploy: { result: 'failed', errorCode: code } });
    expect(r?.lastDeploy?.error).toMatch(message);
    expect(await workerPids()).toEqual(before);
  });

  it('rolls a configuration change pushed with --from (same artifact, new env) with no failed request under load', async () => {
    const load = startLoad({ port: rig.port, keepAliveConcurrency: 4, freshConcurrency: 2, pauseMs: 5 });
    try {
      await load.waitFor((r) => (r.versions.v1 ?? 0) > 50, 20_000, 'load on v1');
      load.resetCounters();
      const pushed = await runCli(['push', 'v4', '--from', 'v1', '--store', rig.storeUrl, '--env', 'GREETING=hello', '--secret', 'DB_PASSWORD=ssm:/app/prod/db-password'], { cwd: rig.work, env: rig.cliEnv });
      expect(pushed.code).toBe(0);

      await rig.converged('v4', 60_000);
      await load.waitFor((r) => (r.versions.v4 ?? 0) > 50, 20_000, 'load on v4');
    } finally {
      const result = await load.stop();
      expect(result.failures).toEqual([]);
      expect(result.failedRequests).toBe(0);
    }
    for (const pid of await workerPids()) expect(environOf(pid)).toMatchObject({ GREETING: 'hello', DB_PASSWORD: secret, APP_VERSION: 'v4' });
  });
});
