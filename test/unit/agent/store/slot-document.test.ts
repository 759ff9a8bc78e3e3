import { isTakeable, newSlotDocument, renewedSlotDocument, slotIndexOf, slotKey } from '../../../../agent/store/slot-document';

describe('slot documents', () => {
  const t0 = Date.parse('2025-01-01T00:00:00.000Z');

  it('names slot K locks/slot-K.json and reads K back only from such names', () => {
    expect(slotKey(3)).toBe('locks/slot-3.json');
    expect(slotIndexOf('slot-3.json')).toBe(3);
    expect(slotIndexOf('slot-0.json')).toBe(0);
    for (const name of ['slot-03.json', 'slot-.json', 'slot-1.json.tmp', '.slot-1.json.abc.claim', 'slot-x.json', 'notes.txt']) {
      expect(slotIndexOf(name)).toBeUndefined();
    }
  });

  it('leases from now for leaseMs, with a new nonce on every write', () => {
    const first = newSlotDocument({ holder: 'i-a', version: 'v1' }, 1_000, t0);
    expect(first).toMatchObject({ holder: 'i-a', version: 'v1', acquiredAt: '2025-01-01T00:00:00.000Z', expiresAt: '2025-01-01T00:00:01.000Z' });
    const renewed = renewedSlotDocument(first, 1_000, t0 + 500);
    expect(renewed).toMatchObject({ acquiredAt: first.acquiredAt, expiresAt: '2025-01-01T00:00:01.500Z' });
    expect(renewed.nonce).not.toBe(first.nonce);
  });

  it('never shortens a lease on renewal', () => {
    const long = newSlotDocument({ holder: 'i-a', version: 'v1' }, 60_000, t0);
    expect(renewedSlotDocument(long, 1_000, t0 + 10).expiresAt).toBe(long.expiresAt);
  });

  it('is takeable once expired, or when it holds no lease at all', () => {
    const document = newSlotDocument({ holder: 'i-a', version: 'v1' }, 1_000, t0);
    expect(isTakeable({ etag: 'e', document }, t0 + 999)).toBe(false);
    expect(isTakeable({ etag: 'e', document }, t0 + 1_000)).toBe(true);
    expect(isTakeable({ etag: 'e', document: undefined }, t0)).toBe(true);
  });
});
