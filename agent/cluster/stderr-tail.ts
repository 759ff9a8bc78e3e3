/** Keeps the last lines a worker wrote to stderr, for failure reports. */
export class StderrTail {
  private readonly lines: string[] = [];
  private partial = '';

  constructor(private readonly maxLines: number) {}

  push(chunk: Buffer | string): void {
    const text = this.partial + chunk.toString();
    const parts = text.split('\n');
    this.partial = (parts.pop() ?? '').slice(0, 4096);
    for (const line of parts) this.add(line);
  }

  /** The last `maxLines` lines, the unfinished last line included. */
  read(): string[] {
    const all = this.partial.trim() ? [...this.lines, clip(this.partial)] : [...this.lines];
    return all.slice(-this.maxLines);
  }

  private add(line: string): void {
    if (line.trim() === '') return;
    this.lines.push(clip(line));
    if (this.lines.length > this.maxLines) this.lines.shift();
  }
}

function clip(line: string): string {
  return line.length > 500 ? `${line.slice(0, 500)}…` : line;
}

/**
 * The stderr lines that say something (not the stack frames under them), the
 * last three, as one line: " (stderr: a | b | c)", or '' when there are none.
 */
export function stderrSummary(lines: readonly string[]): string {
  const said = lines.filter((line) => !/^\s+at /.test(line) && line.trim() !== '').slice(-3).map((line) => line.trim());
  return said.length > 0 ? ` (stderr: ${said.join(' | ')})` : '';
}
