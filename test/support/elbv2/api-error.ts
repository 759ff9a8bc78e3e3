/**
 * An ELBv2 API error as the service reports it: a code the SDK maps to its typed exception
 * (`TargetGroupNotFound` → `TargetGroupNotFoundException`), a fault type and an HTTP status.
 */
export class Elbv2ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number = 400,
    readonly type: 'Sender' | 'Receiver' = status >= 500 ? 'Receiver' : 'Sender',
  ) {
    super(message);
  }

  override get name(): string {
    return 'Elbv2ApiError';
  }
}

export function validationError(message: string): Elbv2ApiError {
  return new Elbv2ApiError('ValidationError', message);
}

export function targetGroupNotFound(message = 'One or more target groups not found'): Elbv2ApiError {
  return new Elbv2ApiError('TargetGroupNotFound', message);
}
