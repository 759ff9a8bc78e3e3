/**
 * The four hooks a release may declare (DESIGN §8), in the order a deploy
 * reaches them: `prepare` (each instance, after the unpack, before any worker
 * of the release starts), `once` (once per version for the whole fleet),
 * `validate` (after the roll, beside app.healthCheck) and `afterLive`.
 */
export const HOOK_NAMES = ['prepare', 'once', 'validate', 'afterLive'] as const;

export type HookName = (typeof HOOK_NAMES)[number];

/** A hook running right now, as status reports show it. */
export interface RunningHook {
  readonly name: HookName;
  readonly version: string;
  /** ISO-8601. */
  readonly startedAt: string;
}
