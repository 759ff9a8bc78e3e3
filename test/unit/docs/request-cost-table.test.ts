import {
  REQUEST_COST_END,
  REQUEST_COST_START,
  currentRequestCostTable,
  requestCostMarkdown,
  requestCostRows,
  withRequestCostTable,
} from '../../../agent/status/request-cost-table';
import { readReadme } from '../../support/readme';

describe("the README's table of what an idle fleet costs", () => {
  it('is what request-cost.ts and the defaults generate (run npm run docs:config)', () => {
    expect(currentRequestCostTable(readReadme())).toBe(requestCostMarkdown());
  });

  it('marks the defaults row, within the targets, and the old defaults (5 s, 30 s) outside them', () => {
    const rows = requestCostRows();
    const defaults = rows.filter((row) => row.includes('(default)'));

    expect(defaults).toHaveLength(1);
    expect(defaults[0]).toMatch(/\| yes \|$/);
    expect(rows[0]).toBe('| 5 s | 30 s | 17,280 | 2,880 | $0.0213 | $639 | 2.5 s | no |');
  });

  it('follows other defaults: the row of the given intervals is the one marked', () => {
    const rows = requestCostRows({ pollIntervalMs: 12_000, heartbeatMs: 240_000 });

    expect(rows.filter((row) => row.includes('(default)'))).toEqual(['| 12 s (default) | 4 min | 7,200 | 360 | $0.0047 | $140 | 6 s | yes |']);
  });

  it('rewrites only the text between the markers, and needs both', () => {
    const readme = `# title\n${REQUEST_COST_START}\nold\n${REQUEST_COST_END}\nafter\n`;

    expect(withRequestCostTable(readme)).toBe(`# title\n${requestCostMarkdown()}\nafter\n`);
    expect(() => withRequestCostTable('# no markers\n')).toThrow(expect.objectContaining({ code: 'DOCS_MARKERS_MISSING' }));
  });
});
