import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './fixture-releases';

/** A fenced code block of the README (fences may be indented, e.g. inside a list item). */
export interface CodeBlock {
  /** The info string: `sh`, `js`, `text`, ... ('' when none). */
  readonly lang: string;
  /** The block's lines without the fence indentation. */
  readonly lines: readonly string[];
  /** The `##`/`###` heading the block sits under. */
  readonly heading: string;
}

/** What a line of a `sh` block must start with to count as a command the README tells you to run. */
export const COMMAND_PREFIXES = ['deployctl ', 'deploy-agent ', 'npm run ', 'npm ci', 'npm test'] as const;

export function readReadme(): string {
  return readFileSync(path.join(repoRoot(), 'README.md'), 'utf8');
}

export function codeBlocks(markdown: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  let heading = '';
  let open: { lang: string; indent: number; lines: string[]; heading: string } | undefined;
  for (const line of markdown.split('\n')) {
    const fence = /^( *)```(\S*)\s*$/.exec(line);
    if (open) {
      if (fence && fence[1]?.length === open.indent && fence[2] === '') {
        blocks.push({ lang: open.lang, lines: open.lines, heading: open.heading });
        open = undefined;
      } else {
        open.lines.push(line.slice(Math.min(open.indent, line.length - line.trimStart().length)));
      }
      continue;
    }
    if (fence) open = { lang: fence[2] ?? '', indent: fence[1]?.length ?? 0, lines: [], heading };
    else if (/^#{2,3} /.test(line)) heading = line.replace(/^#+ /, '');
  }
  if (open) throw new Error(`README: a \`\`\`${open.lang} block under "${open.heading}" is never closed`);
  return blocks;
}

/**
 * Every command in the README's `sh` blocks: lines that start with one of
 * COMMAND_PREFIXES, without a trailing `# comment`, spaces collapsed.
 */
export function readmeShellCommands(markdown: string): string[] {
  const commands: string[] = [];
  for (const block of codeBlocks(markdown).filter((b) => b.lang === 'sh')) {
    for (const raw of block.lines) {
      const line = raw.trim();
      if (!COMMAND_PREFIXES.some((prefix) => line.startsWith(prefix) || line === prefix.trim())) continue;
      if (line.endsWith('\\')) throw new Error(`README: write "${line}" on one line (the docs test reads commands line by line)`);
      commands.push(line.replace(/\s+#.*$/, '').replace(/\s+/g, ' '));
    }
  }
  return commands;
}

/** The text under a `##` heading, up to the next `##` heading. */
export function readmeSection(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`README has no "## ${heading}" section`);
  const next = markdown.indexOf('\n## ', start + 1);
  return markdown.slice(start, next < 0 ? undefined : next);
}
