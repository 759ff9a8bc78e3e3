import { DeployError } from '../../agent/errors';
import { ENV_NAME_PATTERN } from '../../agent/store/documents';

/**
 * Parses a dotenv file (`push --env-file`): `KEY=value` lines, optionally
 * `export KEY=value`; blank lines and `#` comments are skipped. Values:
 * unquoted (trimmed; ` #` starts a comment), 'single-quoted' (literal) or
 * "double-quoted" (\n, \t, \\ and \" escapes). A later KEY wins. Anything else
 * is ENV_FILE_INVALID naming the file and line.
 */
export function parseDotenv(text: string, file: string): Record<string, string> {
  const env: Record<string, string> = {};
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `${file}:${index + 1}`;
    const match = /^(?:export\s+)?([^=\s]+)\s*=\s*(.*)$/.exec(line);
    if (!match) throw new DeployError('ENV_FILE_INVALID', `${where}: expected KEY=value, got ${JSON.stringify(shortened(line))}`);
    const [, key = '', rest = ''] = match;
    if (!ENV_NAME_PATTERN.test(key)) throw new DeployError('ENV_FILE_INVALID', `${where}: ${JSON.stringify(key)} is not a variable name (letters, digits and _, not starting with a digit)`);
    env[key] = value(rest, where);
  });
  return env;
}

function value(rest: string, where: string): string {
  const quote = rest[0];
  if (quote === '"' || quote === "'") {
    const end = closingQuote(rest, quote);
    if (end < 0) throw new DeployError('ENV_FILE_INVALID', `${where}: the value opens a ${quote} quote that is not closed on the same line`);
    const after = rest.slice(end + 1).trim();
    if (after !== '' && !after.startsWith('#')) throw new DeployError('ENV_FILE_INVALID', `${where}: unexpected text after the closing quote`);
    const inner = rest.slice(1, end);
    return quote === "'" ? inner : inner.replace(/\\([nt"\\])/g, (_m, c: string) => ({ n: '\n', t: '\t', '"': '"', '\\': '\\' })[c] ?? c);
  }
  const comment = rest.search(/\s#/);
  return (comment < 0 ? rest : rest.slice(0, comment)).trim();
}

function closingQuote(rest: string, quote: string): number {
  for (let i = 1; i < rest.length; i++) {
    if (quote === '"' && rest[i] === '\\') {
      i++;
      continue;
    }
    if (rest[i] === quote) return i;
  }
  return -1;
}

function shortened(line: string): string {
  return line.length > 40 ? `${line.slice(0, 40)}…` : line;
}
