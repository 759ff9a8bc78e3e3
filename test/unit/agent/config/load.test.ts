import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { configFileSchema } from '../../../../agent/config/config-file';
import { agentDefaults } from '../../../../agent/config/defaults';
import { buildRuntimeConfig, loadConfig, parseConfigFile } from '../../../../agent/config/load';
import { repoRoot } from '../../../support/fixture-releases';

const minimal = { store: './releases', app: { port: 3000 } };

describe('agent config', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'deployctl-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function load(json: unknown) {
    const file = path.join(dir, 'config.json');
    writeFileSync(file, typeof json === 'string' ? json : JSON.stringify(json));
    return loadConfig(file);
  }

  it('accepts the documented example at the repository root', async () => {
    const text = readFileSync(path.join(repoRoot(), 'agent.config.example.json'), 'utf8');
    const parsed = parseConfigFile(JSON.parse(text), 'agent.config.example.json');
    expect(parsed.app.port).toBe(3000);
  });

  it('fills every default from defaults.ts and resolves paths against the config file', async () => {
    const config = await load(minimal);
    expect(config.store).toBe(path.join(dir, 'releases'));
    expect(config.app).toMatchObject({ ...agentDefaults.app, port: 3000 });
    expect(config.releasesDir).toBe(agentDefaults.releasesDir);
    expect(config.keep).toBe(agentDefaults.keep);
    expect(config.pollIntervalMs).toBe(agentDefaults.pollIntervalMs);
    expect(config.limits).toEqual(agentDefaults.limits);
    expect(config.control.socket).toBe(agentDefaults.control.socket);
    expect(config.healthCheck).toBeUndefined();
    expect(config.loadBalancer).toBeUndefined();
  });

  it('resolves a relative control.socket against the config file, and leaves metrics off unless metricsPort is set', async () => {
    const config = await load({ ...minimal, control: { socket: 'run/agent.sock' } });
    expect(config.control).toEqual({ socket: path.join(dir, 'run', 'agent.sock'), metricsPort: undefined });
    expect((await load({ ...minimal, control: { metricsPort: 9464 } })).control.metricsPort).toBe(9464);
  });

  it('returns a deeply frozen runtime config', async () => {
    const config = await load({ ...minimal, app: { port: 3000, env: { A: 'b' } } });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.app)).toBe(true);
    expect(Object.isFrozen(config.app.env)).toBe(true);
  });

  it("takes app.args as the workers' arguments (none by default), frozen", async () => {
    expect((await load(minimal)).app.args).toEqual([]);
    const config = await load({ ...minimal, app: { port: 3000, args: ['--mode', 'web'] } });
    expect(config.app.args).toEqual(['--mode', 'web']);
    expect(Object.isFrozen(config.app.args)).toBe(true);
  });

  test.each([
    [{ store: 'x', app: { port: 3000, args: '--mode web' } }, /app\.args: .*array/],
    [{ app: { port: 3000 } }, /store: required/],
    [{ store: 'x' }, /app: required/],
    [{ store: 'x', app: { port: 70000 } }, /app\.port: .*65535/],
    [{ store: 'x', app: { port: 3000, workers: 0 } }, /app\.workers/],
    [{ store: 'x', app: { port: 3000, readiness: 'soon' } }, /app\.readiness: .*listening.*message/],
    [{ store: 'x', app: { port: 3000 }, keep: 1 }, /keep: .*2/],
    [{ store: 'x', app: { port: 3000, startTimeoutMS: 5 } }, /app: unknown key\(s\) "startTimeoutMS"/],
    [{ store: 'x', app: { port: 3000 }, loadBalancer: { targetGroupArns: ['tg-1'] } }, /loadBalancer\.targetGroupArns\.0: .*arn:/],
    [{ store: 'x', app: { port: 3000, healthCheck: { path: 'health' } } }, /app\.healthCheck\.path: .*"\/"/],
  ])('refuses %j, naming the key and what was expected', async (json, message) => {
    await expect(load(json)).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringMatching(message) });
  });

  test.each([
    [{ store: 'x', app: { port: '21180' } }, 'app.port: expected an integer, got the string "21180"'],
    [{ store: 'x', app: { port: 70000 } }, 'app.port: expected an integer 1-65535, got 70000'],
    [{ store: 'x', app: { port: 3000, workers: 0 } }, 'app.workers: expected "auto" or an integer 1-256, got 0'],
    [{ store: 'x', app: { port: 3000, workers: '4' } }, 'app.workers: expected "auto" or an integer 1-256, got the string "4"'],
    [{ store: 'x', app: { port: 3000, readiness: 'soon' } }, 'app.readiness: expected "listening" or "message", got the string "soon"'],
    [{ store: 'x', app: { port: 3000, drainPreload: 'yes' } }, 'app.drainPreload: expected true or false, got the string "yes"'],
    [{ store: 'x', app: { port: 3000 }, keep: 1.5 }, 'keep: expected an integer, got 1.5'],
    [{ store: 'x', app: { port: 3000, healthCheck: { path: 'health' } } }, 'app.healthCheck.path: expected a string that starts with "/", got the string "health"'],
    [{ store: 7, app: { port: 3000 } }, 'store: expected a non-empty string, got 7'],
    [{ store: 'x' }, 'app: required, expected an object'],
  ])('says what %j gave and what was expected', async (json, line) => {
    await expect(load(json)).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining(`\n  ${line}`) });
  });

  it('refuses a file that is not JSON with the parser position', async () => {
    await expect(load('{ "store": ')).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringMatching(/not valid JSON/) });
  });

  it('says which file it could not read', async () => {
    await expect(loadConfig(path.join(dir, 'missing.json'))).rejects.toMatchObject({
      code: 'CONFIG_UNREADABLE',
      message: expect.stringContaining('missing.json'),
    });
  });

  it('defaults the load balancer port to the app port and maxUnavailable to 1', () => {
    const file = configFileSchema.parse({ ...minimal, loadBalancer: { targetGroupArns: ['arn:aws:elasticloadbalancing:x'] } });
    const config = buildRuntimeConfig(file, path.join(dir, 'c.json'));
    expect(config.loadBalancer).toMatchObject({ port: 3000, maxUnavailable: 1 });
  });

  it('fills the load balancer timings from defaults.ts; the drain timeout stays open for the target groups to say', () => {
    const file = configFileSchema.parse({ ...minimal, loadBalancer: { targetGroupArns: ['arn:aws:elasticloadbalancing:x'] } });
    const config = buildRuntimeConfig(file, path.join(dir, 'c.json'));
    const d = agentDefaults.loadBalancer;
    expect(config.loadBalancer).toMatchObject({
      earlyDrain: d.earlyDrain,
      drainQuietMs: d.drainQuietMs,
      healthyTimeoutMs: d.healthyTimeoutMs,
      pollIntervalMs: d.pollIntervalMs,
    });
    expect(config.loadBalancer?.drainTimeoutMs).toBeUndefined();
    expect(config.loadBalancer?.maxSurge).toBeUndefined();
  });

  test.each([
    [{ drainTimeoutMs: -1 }, /loadBalancer\.drainTimeoutMs/],
    [{ healthyTimeoutMs: 10 }, /loadBalancer\.healthyTimeoutMs/],
    [{ pollIntervalMs: 10 }, /loadBalancer\.pollIntervalMs/],
    [{ earlyDrain: 'yes' }, /loadBalancer\.earlyDrain/],
  ])('refuses load balancer setting %j, naming the key', async (setting, message) => {
    const json = { ...minimal, loadBalancer: { targetGroupArns: ['arn:aws:elasticloadbalancing:x'], ...setting } };
    await expect(load(json)).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringMatching(message) });
  });

  it('defaults the service-out slot lease and wait, and refuses a lease too short to renew', async () => {
    const arns = ['arn:aws:elasticloadbalancing:x'];
    const config = await load({ ...minimal, loadBalancer: { targetGroupArns: arns } });
    const d = agentDefaults.loadBalancer;
    expect(config.loadBalancer).toMatchObject({ slotLeaseMs: d.slotLeaseMs, slotWaitTimeoutMs: d.slotWaitTimeoutMs });
    await expect(load({ ...minimal, loadBalancer: { targetGroupArns: arns, slotLeaseMs: 30_000, slotWaitTimeoutMs: 60_000 } })).resolves.toMatchObject({
      loadBalancer: { slotLeaseMs: 30_000, slotWaitTimeoutMs: 60_000 },
    });
    await expect(load({ ...minimal, loadBalancer: { targetGroupArns: arns, slotLeaseMs: 500 } })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(/loadBalancer\.slotLeaseMs: .*10000/),
    });
  });

  it('resolves app.user from /etc/passwd and names a missing user', async () => {
    await expect(load({ ...minimal, app: { port: 3000, user: 'root' } })).resolves.toMatchObject({ app: { user: 0 } });
    await expect(load({ ...minimal, app: { port: 3000, user: 'no-such-user-here' } })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(/app\.user: no user named "no-such-user-here"/),
    });
  });

  it('parses trustedKeys at load, PEM and base64 SPKI alike, into frozen key ids', async () => {
    const first = generateKeyPairSync('ed25519').publicKey;
    const second = generateKeyPairSync('ed25519').publicKey;
    const config = await load({
      ...minimal,
      trustedKeys: [first.export({ format: 'pem', type: 'spki' }).toString(), second.export({ format: 'der', type: 'spki' }).toString('base64')],
    });
    expect(config.trustedKeys.map((k) => k.keyId)).toEqual([
      createHash('sha256').update(first.export({ format: 'der', type: 'spki' })).digest('hex').slice(0, 16),
      createHash('sha256').update(second.export({ format: 'der', type: 'spki' })).digest('hex').slice(0, 16),
    ]);
    expect(Object.isFrozen(config.trustedKeys[0])).toBe(true);
    expect((await load(minimal)).trustedKeys).toEqual([]);
  });

  it('refuses a trusted key that is not an ed25519 public key, naming its index', async () => {
    const good = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'pem', type: 'spki' }).toString();
    await expect(load({ ...minimal, trustedKeys: [good, rsa] })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(/trustedKeys\.1: is an rsa key; release signatures use ed25519/),
    });
    await expect(load({ ...minimal, trustedKeys: [good, good, 'not-a-key!'] })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(/trustedKeys\.2: is neither a PEM public key nor base64 SPKI/),
    });
  });
});
