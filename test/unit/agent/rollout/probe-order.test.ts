import { MAX_BATCH_PROBES, probeOrder } from '../../../../agent/rollout/rollout-gate';

describe('probeOrder (which batch tickets a waiting agent looks at per poll)', () => {
  it('looks at every ticket of a small batch, in order', () => {
    expect(probeOrder(3)).toEqual([0, 1, 2]);
    expect(probeOrder(MAX_BATCH_PROBES)).toHaveLength(MAX_BATCH_PROBES);
  });

  it('looks at a bounded number of distinct tickets of a big batch, and over many polls at all of them', () => {
    const seen = new Set<number>();
    for (let poll = 0; poll < 200; poll++) {
      const order = probeOrder(500);
      expect(order).toHaveLength(MAX_BATCH_PROBES);
      expect(new Set(order).size).toBe(MAX_BATCH_PROBES);
      for (const index of order) {
        expect(index).toBeGreaterThanOrEqual(0);
        expect(index).toBeLessThan(500);
        seen.add(index);
      }
    }
    expect(seen.size).toBeGreaterThan(400);
  });
});
