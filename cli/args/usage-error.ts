import { DeployError } from '../../agent/errors';

/** Bad command-line arguments: the CLI exits 2 instead of 1. */
export class UsageError extends DeployError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('USAGE', message, options);
  }

  override get name(): string {
    return 'UsageError';
  }
}

/** Exit codes of every command. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
