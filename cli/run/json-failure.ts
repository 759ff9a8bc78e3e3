import { DeployError, describeError } from '../../agent/errors';

/** What a failed command prints on stdout with --json (the one-line reason still goes to stderr). */
export function jsonFailure(error: unknown): { ok: false; code: string; error: string } {
  return { ok: false, code: error instanceof DeployError ? error.code : 'INTERNAL', error: describeError(error) };
}

/** Errors whose JSON failure is already on stdout, so dispatch does not print it twice. */
const printed = new WeakSet<object>();

/** Prints the failure as one JSON object on stdout, once per error. */
export function printJsonFailure(error: unknown, stdout: NodeJS.WritableStream): void {
  const isObject = typeof error === 'object' && error !== null;
  if (isObject && printed.has(error)) return;
  stdout.write(`${JSON.stringify(jsonFailure(error))}\n`);
  if (isObject) printed.add(error);
}

/**
 * Runs a command; with --json a failure is also printed as one JSON object on
 * stdout, then rethrown. (dispatch does the same for any command given
 * --json, bad arguments included; this keeps the order for commands that
 * print before they fail.)
 */
export async function withJsonFailure<T>(json: boolean, stdout: NodeJS.WritableStream, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (json) printJsonFailure(error, stdout);
    throw error;
  }
}
