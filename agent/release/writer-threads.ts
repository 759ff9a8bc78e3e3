import { availableParallelism } from 'node:os';

/** Most writer threads one unpack may start. */
export const MAX_WRITER_THREADS = 64;

/**
 * The most writer threads by default: one per core but the one the main thread (reading,
 * parsing, checking) and gunzip need between them, at least 1 and at most 4. More only compete
 * for the same CPU: on 2 vCPUs, paired runs of the 20,000-file unpack (bench:artifact's fetch
 * child) with at most 1 writer thread against at most 2 took 0.92 of the time on Node 24
 * (tmpfs, median of 6 pairs; 0.98 on ext4) and 0.96 and 1.12 on Node 20 (tmpfs, two sets of 6
 * and 5 pairs; 1.05 on ext4, where runs swung 1.1-2.7 s), and peaked 8-15 MB lower in RSS (a
 * thread is ~10 MB on Node 24). Measured on 2 vCPUs only.
 */
export function defaultWriterThreads(cores: number = availableParallelism()): number {
  return Math.min(4, Math.max(1, cores - 1));
}
