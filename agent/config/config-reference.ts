import { z } from 'zod';
import { DeployError } from '../errors';
import { configFileSchema } from './config-file';
import { agentDefaults } from './defaults';

/**
 * The README's config reference, generated: the config file's JSON Schema
 * (from the zod schema and its `.meta()` descriptions) walked key by key, with
 * every fixed default read from defaults.ts. `npm run docs:config` writes it
 * between the markers below; a unit test fails while the README differs.
 */
export const CONFIG_REFERENCE_START = '<!-- config-reference:start -->';
export const CONFIG_REFERENCE_END = '<!-- config-reference:end -->';

type JsonSchema = z.core.JSONSchema.JSONSchema;

export interface ConfigKeyDoc {
  /** Dotted path in the config file, e.g. `app.startTimeoutMs`. */
  readonly key: string;
  readonly type: string;
  /** `required`, a JSON value from defaults.ts, or the key's `defaultNote`. */
  readonly default: string;
  /** Bounds and patterns the schema enforces; '' when none. */
  readonly range: string;
  readonly description: string;
}

/** Keys whose defaults live elsewhere in defaults.ts than their path in the file says. */
const DEFAULTS_PATH_ALIASES: ReadonlyArray<readonly [string, string]> = [['app.healthCheck.', 'healthCheck.']];

/** What the reference is generated from (tests pass their own). */
export interface ConfigReferenceSource {
  readonly schema: z.ZodType;
  readonly defaults: unknown;
}

const AGENT_CONFIG: ConfigReferenceSource = { schema: configFileSchema, defaults: agentDefaults };

/** The config file's JSON Schema (draft 2020-12) as the user writes it: the machine-readable reference. */
export function configJsonSchema(schema: z.ZodType = configFileSchema): JsonSchema {
  return z.toJSONSchema(schema, { io: 'input' });
}

/** One entry per key of the config file, sections before their keys, in schema order. */
export function configKeyDocs(source: ConfigReferenceSource = AGENT_CONFIG): ConfigKeyDoc[] {
  const docs: ConfigKeyDoc[] = [];
  const visit = (node: JsonSchema, prefix: string): void => {
    for (const [name, child] of Object.entries(node.properties ?? {})) {
      if (typeof child === 'boolean') continue;
      const key = prefix === '' ? name : `${prefix}.${name}`;
      docs.push(describeKey(key, child, node.required?.includes(name) === true, source.defaults));
      if (isSection(child)) visit(child, key);
    }
  };
  visit(configJsonSchema(source.schema), '');
  return docs;
}

/** The markdown table, framed by the markers. */
export function configReferenceMarkdown(source: ConfigReferenceSource = AGENT_CONFIG): string {
  const rows = configKeyDocs(source).map((d) => `| ${[`\`${d.key}\``, d.type, d.default, d.range, d.description].map(cell).join(' | ')} |`);
  return [
    CONFIG_REFERENCE_START,
    '<!-- generated from agent/config/config-file.ts and defaults.ts by `npm run docs:config`: edit those, not this table -->',
    '| key | type | default | range | meaning |',
    '|---|---|---|---|---|',
    ...rows,
    CONFIG_REFERENCE_END,
  ].join('\n');
}

/** `readme` with the text between (and including) the markers replaced by the generated reference. */
export function withConfigReference(readme: string): string {
  const start = readme.indexOf(CONFIG_REFERENCE_START);
  const end = readme.indexOf(CONFIG_REFERENCE_END);
  if (start < 0 || end < start) {
    throw new DeployError('DOCS_MARKERS_MISSING', `the README needs ${CONFIG_REFERENCE_START} and then ${CONFIG_REFERENCE_END} where the config reference goes`);
  }
  return `${readme.slice(0, start)}${configReferenceMarkdown()}${readme.slice(end + CONFIG_REFERENCE_END.length)}`;
}

/** The generated reference as it stands in `readme` now (markers included), or undefined without markers. */
export function currentConfigReference(readme: string): string | undefined {
  const start = readme.indexOf(CONFIG_REFERENCE_START);
  const end = readme.indexOf(CONFIG_REFERENCE_END);
  return start < 0 || end < start ? undefined : readme.slice(start, end + CONFIG_REFERENCE_END.length);
}

function describeKey(key: string, node: JsonSchema, required: boolean, defaults: unknown): ConfigKeyDoc {
  if (typeof node.description !== 'string' || node.description === '') {
    throw new DeployError('DOCS_KEY_UNDOCUMENTED', `config key ${key} has no description: add .meta({ description }) to it in agent/config/config-file.ts`);
  }
  return { key, type: typeOf(node), default: required ? 'required' : defaultOf(key, node, defaults), range: rangeOf(node), description: node.description };
}

function defaultOf(key: string, node: JsonSchema, defaults: unknown): string {
  const fixed = fixedDefault(key, defaults);
  const note = typeof node['defaultNote'] === 'string' ? node['defaultNote'] : undefined;
  const shown = fixed === undefined ? undefined : showValue(key, fixed);
  if (note !== undefined) {
    if (shown === undefined) return note;
    if (!note.includes('{default}')) {
      throw new DeployError('DOCS_DEFAULT_TWICE', `config key ${key} has a default in defaults.ts and a defaultNote without {default}: show the value from defaults.ts`);
    }
    return note.replace('{default}', shown);
  }
  if (shown !== undefined) return shown;
  if (isSection(node)) return '—';
  throw new DeployError('DOCS_DEFAULT_MISSING', `optional config key ${key} has no default in defaults.ts and no defaultNote in config-file.ts`);
}

/** A default as written in the file; byte counts also in GiB / MiB. */
function showValue(key: string, value: unknown): string {
  const json = `\`${JSON.stringify(value)}\``;
  if (!key.endsWith('Bytes') || typeof value !== 'number') return json;
  for (const [unit, size] of [['GiB', 1024 ** 3], ['MiB', 1024 ** 2]] as const) {
    if (value >= size && value % size === 0) return `${json} (${value / size} ${unit})`;
  }
  return json;
}

/** The value at `key` in defaults.ts, if it is a value (not a section of further defaults). */
function fixedDefault(key: string, defaults: unknown): unknown {
  const alias = DEFAULTS_PATH_ALIASES.find(([from]) => key.startsWith(from));
  const path = alias ? `${alias[1]}${key.slice(alias[0].length)}` : key;
  let value: unknown = defaults;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  const isSectionValue = value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0;
  return isSectionValue ? undefined : value;
}

function isSection(node: JsonSchema): boolean {
  return node.type === 'object' && node.properties !== undefined;
}

function typeOf(node: JsonSchema): string {
  if (node.anyOf) return node.anyOf.map(typeOf).join(' | ');
  if (node.const !== undefined) return `\`${JSON.stringify(node.const)}\``;
  if (node.enum) return node.enum.map((v) => `\`${JSON.stringify(v)}\``).join(' | ');
  if (node.type === 'array') return `${typeof node.items === 'object' && !Array.isArray(node.items) ? typeOf(node.items) : 'value'}[]`;
  if (node.type === 'object') return isSection(node) ? 'object' : 'object of strings';
  if (node.type === 'string' && node.format === 'uri') return 'URL';
  return typeof node.type === 'string' ? node.type : 'value';
}

function rangeOf(node: JsonSchema): string {
  if (node.anyOf) return node.anyOf.map(rangeOf).filter((r) => r !== '').join('; ');
  const parts: string[] = [];
  const min = bound(node.minimum);
  const max = bound(node.maximum);
  if (min !== undefined && max !== undefined) parts.push(`${min}-${max}`);
  else if (min !== undefined) parts.push(`≥ ${min}`);
  else if (max !== undefined) parts.push(`≤ ${max}`);
  if (node.minItems !== undefined && node.minItems > 0) parts.push(`at least ${node.minItems}`);
  if (typeof node.items === 'object' && !Array.isArray(node.items)) {
    const each = rangeOf(node.items);
    if (each !== '') parts.push(`each ${each}`);
  }
  if (node.pattern !== undefined) {
    const prefix = node.format === 'starts_with' ? /^\^(.*)\.\*$/.exec(node.pattern)?.[1] : undefined;
    parts.push(prefix === undefined ? `matches \`${node.pattern}\`` : `starts with \`${prefix.replace(/\\(.)/g, '$1')}\``);
  }
  return parts.join(', ');
}

/** A schema bound worth showing: zod's integer checks add ±MAX_SAFE_INTEGER, which say nothing. */
function bound(value: number | undefined): number | undefined {
  return value === undefined || Math.abs(value) >= Number.MAX_SAFE_INTEGER ? undefined : value;
}

/** Table cells: one line, pipes escaped (also inside code spans, as GitHub tables need). */
function cell(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');
}
