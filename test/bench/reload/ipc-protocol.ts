/**
 * The words between the bench and its child processes (deployctl runner, load
 * runner, fork probe): a request carries an id, a command and its arguments; the
 * reply carries the same id and either a result or an error message.
 * Everything that crosses the channel is `unknown` until narrowed here.
 */
export interface IpcRequest {
  readonly id: number;
  readonly cmd: string;
  readonly args: unknown;
}

export type IpcReply =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly id: number; readonly ok: false; readonly error: string };

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isIpcRequest(value: unknown): value is IpcRequest {
  return isRecord(value) && typeof value['id'] === 'number' && typeof value['cmd'] === 'string';
}

export function isIpcReply(value: unknown): value is IpcReply {
  if (!isRecord(value) || typeof value['id'] !== 'number') return false;
  if (value['ok'] === true) return 'result' in value;
  return value['ok'] === false && typeof value['error'] === 'string';
}

/** The record itself, or an error naming `what` it should have been. */
export function asRecord(value: unknown, what: string): Record<string, unknown> {
  if (!isRecord(value)) throw new Error(`${what}: expected an object, got ${describe(value)}`);
  return value;
}

export function numberField(record: Record<string, unknown>, key: string, what: string): number {
  const value = record[key];
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new Error(`${what}: field ${key} should be a finite number, got ${describe(value)}`);
  }
  return value;
}

export function nullableNumberField(record: Record<string, unknown>, key: string, what: string): number | null {
  return record[key] === null ? null : numberField(record, key, what);
}

export function stringField(record: Record<string, unknown>, key: string, what: string): string {
  const value = record[key];
  if (typeof value !== 'string') throw new Error(`${what}: field ${key} should be a string, got ${describe(value)}`);
  return value;
}

export function booleanField(record: Record<string, unknown>, key: string, what: string): boolean {
  const value = record[key];
  if (typeof value !== 'boolean') throw new Error(`${what}: field ${key} should be a boolean, got ${describe(value)}`);
  return value;
}

/** A `Record<string, number>` (e.g. versions seen), or an error. */
export function countsField(record: Record<string, unknown>, key: string, what: string): Record<string, number> {
  const value = asRecord(record[key], `${what}.${key}`);
  const counts: Record<string, number> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'number') throw new Error(`${what}.${key}.${k} should be a number, got ${describe(v)}`);
    counts[k] = v;
  }
  return counts;
}

export function stringsField(record: Record<string, unknown>, key: string, what: string): string[] {
  const value = record[key];
  if (!Array.isArray(value)) throw new Error(`${what}: field ${key} should be an array, got ${describe(value)}`);
  return value.map((v) => String(v));
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function describe(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.slice(0, 200);
}
