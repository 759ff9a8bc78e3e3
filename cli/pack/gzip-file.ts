import { open } from 'node:fs/promises';
import { DeployError, describeError } from '../../agent/errors';

const GZIP_MAGIC = [0x1f, 0x8b] as const;

/**
 * Checks that `file` is a regular file starting with the gzip magic bytes
 * (1f 8b) and returns its size. Anything else is refused before it reaches the store.
 */
export async function assertGzipFile(file: string): Promise<number> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : `cannot be read: ${describeError(error)}`;
    throw new DeployError('ARTIFACT_FILE_INVALID', `artifact file ${file} ${why}`, { cause: error });
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new DeployError('ARTIFACT_FILE_INVALID', `artifact file ${file} is not a regular file`);
    const head = Buffer.alloc(GZIP_MAGIC.length);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    if (bytesRead < GZIP_MAGIC.length || head[0] !== GZIP_MAGIC[0] || head[1] !== GZIP_MAGIC[1]) {
      throw new DeployError('ARTIFACT_FILE_INVALID', `artifact file ${file} is not gzip-compressed (expected a .tar.gz)`);
    }
    return info.size;
  } finally {
    await handle.close();
  }
}
