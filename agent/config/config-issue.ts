import type { z } from 'zod';
import { configJsonSchema } from './config-reference';

type JsonSchema = z.core.JSONSchema.JSONSchema;

/**
 * One line per config error that says what the key expects and what was
 * given: `app.port: expected an integer, got the string "21180"`,
 * `app.workers: expected "auto" or an integer 1-256, got 0`. What is expected
 * is read from the config file's JSON Schema (the same one the README's
 * reference is generated from), what was given from the file itself.
 */
export function describeConfigIssue(issue: z.core.$ZodIssue, input: unknown, schema: JsonSchema = configJsonSchema()): string {
  if (issue.code === 'unrecognized_keys') return `unknown key(s) ${issue.keys.map((k) => JSON.stringify(k)).join(', ')} (check the spelling)`;
  const node = schemaAt(schema, issue.path);
  const given = valueAt(input, issue.path);
  if (issue.code === 'invalid_type' && given === undefined) return `required, expected ${node ? expected(node, true) : issue.expected}`;
  if (node === undefined) return issue.message;
  switch (issue.code) {
    case 'invalid_type':
      // A wrong type: the type is the news; a union also names the range of its numbers.
      return `expected ${expected(node, node.anyOf !== undefined)}, got ${describeValue(given)}`;
    case 'too_small':
    case 'too_big':
    case 'invalid_union':
    case 'invalid_value':
      return `expected ${expected(node, true)}, got ${describeValue(given)}`;
    case 'invalid_format':
      return `expected ${issue.format === 'starts_with' && 'prefix' in issue ? `a string that starts with ${JSON.stringify(issue.prefix)}` : expected(node, true)}, got ${describeValue(given)}`;
    case 'custom':
      // A refinement that says what it expects: add what was given.
      return issue.message.startsWith('expected ') ? `${issue.message}, got ${describeValue(given)}` : issue.message;
    default:
      return issue.message;
  }
}

/** What was given, as a person reads it: `the string "21180"`, `0`, `true`, `an object`. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return 'nothing';
}

/** `an integer`, `an integer 1-256`, `"auto" or an integer 1-256`, `"listening" or "message"`. */
function expected(node: JsonSchema, withRange: boolean): string {
  if (node.anyOf) return node.anyOf.map((child) => (typeof child === 'boolean' ? 'a value' : expected(child, withRange))).join(' or ');
  if (node.const !== undefined) return JSON.stringify(node.const);
  if (node.enum) return node.enum.map((v) => JSON.stringify(v)).join(' or ');
  const range = withRange ? rangeOf(node) : '';
  return range === '' ? typeName(node) : `${typeName(node)} ${range}`;
}

function typeName(node: JsonSchema): string {
  switch (node.type) {
    case 'integer':
      return 'an integer';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'true or false';
    case 'array':
      return 'an array';
    case 'object':
      return 'an object';
    case 'string':
      if (node.format === 'uri') return 'a URL';
      return node.minLength !== undefined && node.minLength > 0 ? 'a non-empty string' : 'a string';
    default:
      return 'a value';
  }
}

function rangeOf(node: JsonSchema): string {
  const min = bound(node.minimum);
  const max = bound(node.maximum);
  if (min !== undefined && max !== undefined) return `${min}-${max}`;
  if (min !== undefined) return `≥ ${min}`;
  if (max !== undefined) return `≤ ${max}`;
  return '';
}

/** zod's integer checks add ±MAX_SAFE_INTEGER, which say nothing. */
function bound(value: number | undefined): number | undefined {
  return value === undefined || Math.abs(value) >= Number.MAX_SAFE_INTEGER ? undefined : value;
}

function schemaAt(root: JsonSchema, path: readonly PropertyKey[]): JsonSchema | undefined {
  let node: JsonSchema | undefined = root;
  for (const part of path) {
    if (node === undefined) return undefined;
    const next: JsonSchema | boolean | undefined =
      typeof part === 'number' ? (Array.isArray(node.items) ? undefined : node.items) : node.properties?.[String(part)];
    node = typeof next === 'object' ? next : undefined;
  }
  return node;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const part of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[part];
  }
  return value;
}
