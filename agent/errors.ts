/**
 * Every error the agent and the CLI raise on purpose carries a stable `code`
 * (for logs, status reports and tests) and, where there was one, the `cause`.
 * Only `main.ts` turns them into an exit code.
 */
export class DeployError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  override get name(): string {
    return 'DeployError';
  }
}

/** Narrow `unknown` (what a catch clause holds) to a one-line description. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
