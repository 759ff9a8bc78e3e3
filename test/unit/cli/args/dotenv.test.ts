import { parseDotenv } from '../../../../cli/args/dotenv';

describe('parseDotenv: the --env-file syntax', () => {
  it('reads KEY=value lines, export, comments, blank lines, and both quote styles', () => {
    const text = ['# comment', '', 'export A=1', 'B = two words  # trailing comment', 'C="line\\nnext \\"q\\" \\\\"', "D='$literal # not a comment'", 'E=', 'F=x#y'].join('\n');

    expect(parseDotenv(text, 'f.env')).toEqual({ A: '1', B: 'two words', C: 'line\nnext "q" \\', D: '$literal # not a comment', E: '', F: 'x#y' });
  });

  it('lets a later line win and accepts CRLF and a BOM', () => {
    expect(parseDotenv('\uFEFFA=1\r\nA=2\r\n', 'f.env')).toEqual({ A: '2' });
  });

  it.each([
    ['no = sign', 'JUST_A_WORD', /f\.env:1: expected KEY=value/],
    ['a bad name', '1X=y', /f\.env:1: "1X" is not a variable name/],
    ['an unclosed quote', 'A="open', /f\.env:1: the value opens a " quote that is not closed/],
    ['text after a closing quote', "A='x' y", /f\.env:1: unexpected text after the closing quote/],
  ])('refuses %s with ENV_FILE_INVALID naming the file and line', (_what, line, message) => {
    expect(() => parseDotenv(line, 'f.env')).toThrow(expect.objectContaining({ code: 'ENV_FILE_INVALID', message: expect.stringMatching(message) }));
  });
});
