/**
 * `node dist/test/bench/artifact/gen-tree-cli.js DIR [MB]`: writes the bench's
 * release tree into DIR (must not exist) and prints {files, bytes, dirs}, to look at
 * the tree or try other tools on it outside the bench.
 */
import { generateTree } from './release-tree';

const [dir, mbText] = process.argv.slice(2);
if (dir === undefined) {
  process.stderr.write('usage: gen-tree-cli.js DIR [MB]\n');
  process.exit(2);
}
const { files, bytes, dirs } = generateTree(dir, Number(mbText ?? '100'));
process.stdout.write(`${JSON.stringify({ dir, files, bytes, dirs })}\n`);
