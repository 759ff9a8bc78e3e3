import { readFileSync } from 'node:fs';
import { DeployError } from '../errors';

/** A user or group name (or id) to its numeric id, from /etc/passwd or /etc/group. */
export function resolveId(kind: 'user' | 'group', value: string | number | undefined, file?: string): number | undefined {
  if (value === undefined || typeof value === 'number') return value;
  if (/^\d+$/.test(value)) return Number(value);
  const path = file ?? (kind === 'user' ? '/etc/passwd' : '/etc/group');
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new DeployError('CONFIG_INVALID', `app.${kind}: cannot read ${path} to look up ${JSON.stringify(value)}`, { cause });
  }
  for (const line of text.split('\n')) {
    const [name, , id] = line.split(':');
    if (name === value && id !== undefined && /^\d+$/.test(id)) return Number(id);
  }
  throw new DeployError('CONFIG_INVALID', `app.${kind}: no ${kind} named ${JSON.stringify(value)} on this machine; create it or give a numeric id`);
}
