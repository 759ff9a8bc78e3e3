import os from 'node:os';

/**
 * This instance's id for its status report (instances/<id>.json): `instanceId`
 * from the config, else the host name made safe for a key (letters, digits,
 * `.`, `_`, `-`; at most 128 characters). EC2 IMDSv2 comes later (DESIGN §4).
 */
export function resolveInstanceId(configured: string | undefined, hostname: string = os.hostname()): string {
  if (configured !== undefined) return configured;
  const safe = hostname.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 128);
  return safe === '' ? 'unknown-host' : safe;
}
