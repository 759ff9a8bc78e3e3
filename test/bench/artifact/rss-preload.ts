/**
 * Loaded with `node --require <this file>` into a node child the bench does
 * not drive over IPC (the real `deployctl` CLI): samples the process's own RSS
 * every 20 ms and, as the process exits, writes `{"peakRssMb": N}` to the file
 * named by BENCH_RSS_FILE. Without that variable it does nothing.
 */
import { writeFileSync } from 'node:fs';
import { OwnPeakRss } from './rss-sampler';

const file = process.env['BENCH_RSS_FILE'];
if (file !== undefined && file !== '') {
  delete process.env['BENCH_RSS_FILE']; // not for grandchildren
  const rss = new OwnPeakRss();
  process.on('exit', () => {
    writeFileSync(file, `${JSON.stringify({ peakRssMb: rss.peakMb() })}\n`);
  });
}
