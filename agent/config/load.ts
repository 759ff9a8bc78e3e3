import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { z } from 'zod';
import { DeployError } from '../errors';
import { parseTrustedKey } from '../release/signing-keys';
import { configFileSchema, type AgentConfigFile } from './config-file';
import { describeConfigIssue } from './config-issue';
import { agentDefaults } from './defaults';
import { definedOnly } from './defined-only';
import { resolveId } from './resolve-user';
import type { RuntimeConfig } from './runtime-config';

/** The only reader of the config file: parse, validate, apply defaults, freeze. */
export async function loadConfig(configPath: string): Promise<RuntimeConfig> {
  let text: string;
  try {
    text = await readFile(configPath, 'utf8');
  } catch (cause) {
    throw new DeployError('CONFIG_UNREADABLE', `cannot read config ${configPath}: ${(cause as Error).message}`, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new DeployError('CONFIG_INVALID', `config ${configPath} is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  return buildRuntimeConfig(parseConfigFile(json, configPath), configPath);
}

export function parseConfigFile(json: unknown, where: string): z.output<typeof configFileSchema> {
  const result = configFileSchema.safeParse(json);
  if (result.success) return result.data;
  const lines = result.error.issues.slice(0, 5).map((issue) => {
    const key = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
    return `${key}: ${describeConfigIssue(issue, json)}`;
  });
  throw new DeployError('CONFIG_INVALID', `config ${where} is invalid:\n  ${lines.join('\n  ')}`, { cause: result.error });
}

export function buildRuntimeConfig(file: z.output<typeof configFileSchema>, configPath: string): RuntimeConfig {
  const d = agentDefaults;
  const base = path.dirname(path.resolve(configPath));
  const app = file.app;
  const config: RuntimeConfig = {
    configPath: path.resolve(configPath),
    store: /^(s3|file):\/\//i.test(file.store) ? file.store : path.resolve(base, file.store),
    s3: { ...definedOnly({ region: file.s3?.region, endpoint: file.s3?.endpoint, forcePathStyle: file.s3?.forcePathStyle }) },
    heartbeatMs: file.heartbeatMs ?? d.heartbeatMs,
    app: {
      ...d.app,
      ...definedOnly({
        entry: app.entry,
        workers: app.workers,
        readiness: app.readiness,
        startTimeoutMs: app.startTimeoutMs,
        shutdownTimeoutMs: app.shutdownTimeoutMs,
        maxSurge: app.maxSurge,
        drainPreload: app.drainPreload,
        idleGraceMs: app.idleGraceMs,
        wsCloseWindowMs: app.wsCloseWindowMs,
        stableMs: app.stableMs,
        schedulingPolicy: app.schedulingPolicy,
      }),
      port: app.port,
      env: Object.freeze({ ...(app.env ?? {}) }),
      args: Object.freeze([...(app.args ?? [])]),
      user: resolveId('user', app.user),
      group: resolveId('group', app.group),
    },
    healthCheck: app.healthCheck
      ? { path: app.healthCheck.path ?? d.healthCheck.path, timeoutMs: app.healthCheck.timeoutMs ?? d.healthCheck.timeoutMs }
      : undefined,
    releasesDir: path.resolve(base, file.releasesDir ?? d.releasesDir),
    keep: file.keep ?? d.keep,
    pollIntervalMs: file.pollIntervalMs ?? d.pollIntervalMs,
    limits: {
      maxArtifactBytes: file.limits?.maxArtifactBytes ?? d.limits.maxArtifactBytes,
      maxUnpackedBytes: file.limits?.maxUnpackedBytes ?? d.limits.maxUnpackedBytes,
      maxFiles: file.limits?.maxFiles ?? d.limits.maxFiles,
    },
    loadBalancer: file.loadBalancer
      ? {
          targetGroupArns: Object.freeze([...file.loadBalancer.targetGroupArns]),
          port: file.loadBalancer.port ?? app.port,
          maxUnavailable: file.loadBalancer.maxUnavailable ?? d.loadBalancer.maxUnavailable,
          endpoint: file.loadBalancer.endpoint,
          region: file.loadBalancer.region,
          drainTimeoutMs: file.loadBalancer.drainTimeoutMs,
          earlyDrain: file.loadBalancer.earlyDrain ?? d.loadBalancer.earlyDrain,
          drainQuietMs: file.loadBalancer.drainQuietMs ?? d.loadBalancer.drainQuietMs,
          healthyTimeoutMs: file.loadBalancer.healthyTimeoutMs ?? d.loadBalancer.healthyTimeoutMs,
          pollIntervalMs: file.loadBalancer.pollIntervalMs ?? d.loadBalancer.pollIntervalMs,
          maxSurge: file.loadBalancer.maxSurge,
          slotLeaseMs: file.loadBalancer.slotLeaseMs ?? d.loadBalancer.slotLeaseMs,
          slotWaitTimeoutMs: file.loadBalancer.slotWaitTimeoutMs ?? d.loadBalancer.slotWaitTimeoutMs,
        }
      : undefined,
    ssm: { region: file.ssm?.region, endpoint: file.ssm?.endpoint },
    hooks: { onceLeaseMs: file.hooks?.onceLeaseMs ?? d.hooks.onceLeaseMs },
    instanceId: file.instanceId,
    trustedKeys: (file.trustedKeys ?? []).map((text) => parseTrustedKey(text)),
    control: {
      socket: path.resolve(base, file.control?.socket ?? d.control.socket),
      metricsPort: file.control?.metricsPort,
    },
  };
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

export type { AgentConfigFile };
