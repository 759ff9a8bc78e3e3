import { StderrTail, stderrSummary } from '../../../../agent/cluster/stderr-tail';

describe('StderrTail', () => {
  test('starts empty', () => {
    expect(new StderrTail(3).read()).toEqual([]);
  });

  test('keeps only the last N lines', () => {
    const tail = new StderrTail(3);
    tail.push('one\ntwo\nthree\nfour\nfive\n');
    expect(tail.read()).toEqual(['three', 'four', 'five']);
  });

  test('keeps only the last N lines across many pushes', () => {
    const tail = new StderrTail(2);
    for (let i = 1; i <= 10; i++) tail.push(`line ${i}\n`);
    expect(tail.read()).toEqual(['line 9', 'line 10']);
  });

  test('accepts Buffers as well as strings', () => {
    const tail = new StderrTail(5);
    tail.push(Buffer.from('from a buffer\n'));
    tail.push('from a string\n');
    expect(tail.read()).toEqual(['from a buffer', 'from a string']);
  });

  test('joins a line split across chunks', () => {
    const tail = new StderrTail(5);
    tail.push('Error: con');
    tail.push('nection ref');
    tail.push('used\n    at main\n');
    expect(tail.read()).toEqual(['Error: connection refused', '    at main']);
  });

  test('keeps an unfinished last line and finishes it with the next chunk', () => {
    const tail = new StderrTail(5);
    tail.push('first\nsecond without newline');
    expect(tail.read()).toEqual(['first', 'second without newline']);
    tail.push(' yet\nthird');
    expect(tail.read()).toEqual(['first', 'second without newline yet', 'third']);
  });

  test('read() returns a copy the caller cannot use to change the tail', () => {
    const tail = new StderrTail(5);
    tail.push('kept\n');
    tail.read().push('injected');
    expect(tail.read()).toEqual(['kept']);
  });

  test.each([
    ['empty lines', 'a\n\n\nb\n'],
    ['whitespace-only lines', 'a\n   \n\t\nb\n'],
    ['a leading newline', '\na\nb\n'],
  ])('skips blank lines (%s)', (_label, chunk) => {
    const tail = new StderrTail(5);
    tail.push(chunk);
    expect(tail.read()).toEqual(['a', 'b']);
  });

  test('blank lines do not push real lines out of the tail', () => {
    const tail = new StderrTail(2);
    tail.push('keep me\nand me\n\n\n\n\n');
    expect(tail.read()).toEqual(['keep me', 'and me']);
  });

  test('truncates a line longer than 500 characters to 500 and an ellipsis', () => {
    const tail = new StderrTail(5);
    const long = `${'x'.repeat(500)}${'y'.repeat(300)}`;
    tail.push(`${long}\n`);
    const [line] = tail.read();
    expect(line).toBe(`${'x'.repeat(500)}…`);
  });

  test('leaves a line of exactly 500 characters alone', () => {
    const tail = new StderrTail(5);
    const exact = 'z'.repeat(500);
    tail.push(`${exact}\n`);
    expect(tail.read()).toEqual([exact]);
  });

  test('truncates a line of 501 characters', () => {
    const tail = new StderrTail(5);
    tail.push(`${'w'.repeat(501)}\n`);
    expect(tail.read()).toEqual([`${'w'.repeat(500)}…`]);
  });

  test('truncates a long line that arrived in several chunks', () => {
    const tail = new StderrTail(5);
    tail.push('a'.repeat(400));
    tail.push('b'.repeat(400));
    tail.push('\n');
    expect(tail.read()).toEqual([`${'a'.repeat(400)}${'b'.repeat(100)}…`]);
  });

  test('bounds an unfinished line that never ends, and shows its start clipped like any line', () => {
    const tail = new StderrTail(5);
    tail.push('START');
    for (let i = 0; i < 10; i++) tail.push('q'.repeat(1000));
    const [partial] = tail.read();
    expect(partial).toBe(`START${'q'.repeat(495)}…`);
    tail.push('\nnext\n');
    expect(tail.read()).toEqual([`START${'q'.repeat(495)}…`, 'next']);
  });
});

describe('stderrSummary', () => {
  test('the last three lines that say something, stack frames left out, as one line', () => {
    expect(stderrSummary(['one', 'TypeError: boom', '    at start (server.js:3:9)', '    at next (x.js:1:1)', 'two', 'three'])).toBe(' (stderr: TypeError: boom | two | three)');
  });

  test('empty when nothing was written', () => {
    expect(stderrSummary([])).toBe('');
    expect(stderrSummary(['    at only (a.js:1:1)'])).toBe('');
  });
});
