import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './usage-error';

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/**
 * `node:util` parseArgs in strict mode, for one command. Its errors (unknown
 * option, missing value) become one-line UsageErrors that name the command;
 * an option given twice is refused rather than silently taking the last one.
 */
export function parseFlags<const O extends OptionsConfig>(command: string, args: string[], options: O) {
  let parsed;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: true, tokens: true });
  } catch (error) {
    throw new UsageError(`${describeParseError(error)} (see 'deployctl ${command} --help')`, { cause: error });
  }
  const seen = new Set<string>();
  for (const token of parsed.tokens) {
    if (token.kind !== 'option') continue;
    if (seen.has(token.name) && options[token.name]?.multiple !== true) {
      throw new UsageError(`option --${token.name} given more than once (see 'deployctl ${command} --help')`);
    }
    seen.add(token.name);
  }
  return { values: parsed.values, positionals: parsed.positionals };
}

function describeParseError(error: unknown): string {
  const { code, message } = error as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message : String(error);
  const option = /'(-[^' ]+)/.exec(text)?.[1] ?? '';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option ${option}`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && text.includes('argument missing')) return `option ${option} needs a value`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && text.includes('ambiguous')) {
    return `option ${option} needs a value (write ${option}=VALUE for one that starts with '-')`;
  }
  return text.charAt(0).toLowerCase() + text.slice(1);
}
