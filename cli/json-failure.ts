import { DeployError, describeError } from '../agent/errors';

/** What a failed command prints on stdout with --json (the one-line reason still goes to stderr). */
export function jsonFailure(error: unknown): { ok: false; code: string; error: string } {
  return { ok: false, code: error instanceof DeployError ? error.code : 'INTERNAL', error: describeError(error) };
}
