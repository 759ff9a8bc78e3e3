import { z } from 'zod';

/**
 * The control socket's wire format: newline-delimited JSON, one request and
 * one response per connection.
 *
 *   → {"command":"status"}
 *   ← {"ok":true,"command":"status","result":{...}}
 *   ← {"ok":false,"code":"NO_PREVIOUS_RELEASE","error":"..."}
 */
export const CONTROL_COMMANDS = ['status', 'reload', 'rollback'] as const;
export type ControlCommandName = (typeof CONTROL_COMMANDS)[number];

export const controlRequestSchema = z.strictObject({ command: z.enum(CONTROL_COMMANDS) });
export type ControlRequest = z.infer<typeof controlRequestSchema>;

export const controlResponseSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), command: z.enum(CONTROL_COMMANDS), result: z.unknown() }),
  z.object({ ok: z.literal(false), code: z.string(), error: z.string() }),
]);
export type ControlResponse = z.infer<typeof controlResponseSchema>;

/** A request line longer than this is refused (a request is a few dozen bytes). */
export const MAX_REQUEST_BYTES = 4096;

/** What `reload` answers. */
export const reloadResultSchema = z.object({ configPath: z.string() });
export type ReloadResult = z.infer<typeof reloadResultSchema>;

/** What `rollback` answers. */
export const rollbackResultSchema = z.object({
  from: z.string(),
  to: z.string(),
  durationMs: z.number(),
  /** The version desired.json names, now remembered as failed (null when there is no desired.json or it names `to`). */
  remembered: z.string().nullable(),
});
export type RollbackResult = z.infer<typeof rollbackResultSchema>;

export function encodeLine(message: ControlRequest | ControlResponse): string {
  return `${JSON.stringify(message)}\n`;
}
