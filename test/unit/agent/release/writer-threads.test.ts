import { defaultWriterThreads } from '../../../../agent/release/writer-threads';

describe('defaultWriterThreads', () => {
  test('leaves one core to the main thread and gunzip: 1 writer thread on 1-2 cores, then one per core but one, at most 4', () => {
    expect([1, 2, 3, 4, 5, 8, 64].map((cores) => defaultWriterThreads(cores))).toEqual([1, 1, 2, 3, 4, 4, 4]);
  });
});
