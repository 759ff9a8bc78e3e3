import { DeployError, describeError } from '../../agent/errors';

/** What a failed command prints on stdout with --json (the one-line reason still goes to stderr). */
export function jsonFailure(error: unknown): { ok: false; code: string; error: string } {
  return { ok: false, code: error instanceof DeployError ? error.code : 'INTERNAL', error: describeError(error) };
}

/** Runs a command; with --json a failure is also printed as one JSON object on stdout, then rethrown. */
export async function withJsonFailure<T>(json: boolean, stdout: NodeJS.WritableStream, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (json) stdout.write(`${JSON.stringify(jsonFailure(error))}\n`);
    throw error;
  }
}
