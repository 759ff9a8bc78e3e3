import path from 'node:path';
import { t as listArchive } from 'tar';
import { DeployError, describeError } from '../../agent/errors';

/**
 * Reads a ready-made .tar.gz once before it is uploaded: it must be a whole,
 * readable gzip'd tar, and hold `entry` when one is named. Returns the number
 * of entries. (The agent still checks every path when it unpacks.)
 */
export async function checkArchive(file: string, entry: string | undefined): Promise<number> {
  let count = 0;
  let hasEntry = false;
  const wanted = entry === undefined ? undefined : path.posix.normalize(entry);
  try {
    await listArchive({
      file,
      strict: true,
      onReadEntry: (e) => {
        count += 1;
        if (wanted !== undefined && e.type !== 'Directory' && path.posix.normalize(e.path) === wanted) hasEntry = true;
      },
    });
  } catch (error) {
    throw new DeployError('ARTIFACT_FILE_INVALID', `artifact file ${file} is not a valid .tar.gz: ${describeError(error)}`, { cause: error });
  }
  if (count === 0) throw new DeployError('ARTIFACT_FILE_INVALID', `artifact file ${file} is an empty archive`);
  if (wanted !== undefined && !hasEntry) {
    throw new DeployError('ENTRY_MISSING', `entry file ${wanted} (from --entry) not found in ${file}`);
  }
  return count;
}
