import { DeployError } from '../errors';

/** DESIGN §1: what a version may be called (it becomes a file name and an S3 key). */
export const VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function isValidVersion(version: string): boolean {
  return VERSION_PATTERN.test(version);
}

export function assertValidVersion(version: string): void {
  if (!isValidVersion(version)) {
    throw new DeployError(
      'INVALID_VERSION',
      `invalid version ${JSON.stringify(version)}: use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit (e.g. v42)`,
    );
  }
}
