import { DeployError } from '../../agent/errors';

/**
 * Bad command-line arguments: the CLI exits 2 instead of 1. The code is
 * `USAGE` unless a more precise one applies (`STORE_URL_INVALID`: a store URL
 * is an argument too).
 */
export class UsageError extends DeployError {
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(options?.code ?? 'USAGE', message, options);
  }

  override get name(): string {
    return 'UsageError';
  }
}

/** Exit codes of every command. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
