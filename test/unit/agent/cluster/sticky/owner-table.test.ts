import { OwnerTable } from '../../../../../agent/cluster/sticky/owner-table';

describe('the sticky owner table', () => {
  it('forgets the oldest key past its cap', () => {
    const table = new OwnerTable(2);
    table.set('a', 1);
    table.set('b', 2);
    table.set('c', 1);
    expect(table.get('a')).toBeUndefined();
    expect(table.get('b')).toBe(2);
    expect(table.size).toBe(2);
  });

  it("forgets every key of a worker that exited", () => {
    const table = new OwnerTable(10);
    table.set('a', 1);
    table.set('b', 2);
    table.set('c', 1);
    table.dropWorker(1);
    expect([table.get('a'), table.get('b'), table.get('c')]).toEqual([undefined, 2, undefined]);
  });
});
