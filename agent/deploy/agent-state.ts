import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { writeFileAtomic } from '../fs/atomic-write';

/**
 * state.json: what this instance runs and what it last tried, written
 * atomically on every step so a restart (even after SIGKILL) knows where it is.
 */
const lastDeploySchema = z.object({
  version: z.string(),
  result: z.enum(['succeeded', 'failed', 'rolled-back']),
  error: z.string().optional(),
  errorCode: z.string().optional(),
  /** A failure after the deploy went live (the afterLive hook): reported, not rolled back. */
  warning: z.string().optional(),
  startedAt: z.string(),
  durationMs: z.number(),
});

export const agentStateSchema = z.object({
  schema: z.literal(1),
  current: z.string().nullable(),
  previous: z.string().nullable(),
  state: z.string(),
  /** The version being deployed while state is not idle. */
  target: z.string().nullable(),
  /** A version that failed, with the desired.json tag it failed under: not retried until that changes. */
  failed: z.object({ version: z.string(), desiredEtag: z.string(), reason: z.string(), at: z.string() }).nullable(),
  lastDeploy: lastDeploySchema.nullable(),
  /** Versions that went live on this instance, oldest first, each with when it last did (rollback and prune prefer these). */
  wentLive: z.array(z.object({ version: z.string(), at: z.string() })).optional(),
  /** Versions whose `prepare` hook ran on their current unpack here: not run again on a rollback to them. */
  prepared: z.array(z.string()).optional(),
  updatedAt: z.string(),
});

export type AgentState = z.infer<typeof agentStateSchema>;
export type LastDeploy = z.infer<typeof lastDeploySchema>;

/** How many went-live entries state.json keeps (the oldest go first). */
export const WENT_LIVE_KEPT = 50;

/** `state.wentLive` with `version` moved to the end (now). */
export function withWentLive(state: AgentState, version: string, at: Date = new Date()): AgentState {
  const others = (state.wentLive ?? []).filter((entry) => entry.version !== version);
  return { ...state, wentLive: [...others, { version, at: at.toISOString() }].slice(-WENT_LIVE_KEPT) };
}

/** The versions that went live here, newest first. */
export function wentLiveNewestFirst(state: AgentState): string[] {
  return (state.wentLive ?? []).map((entry) => entry.version).reverse();
}

export function emptyState(): AgentState {
  return {
    schema: 1,
    current: null,
    previous: null,
    state: 'idle',
    target: null,
    failed: null,
    lastDeploy: null,
    updatedAt: new Date().toISOString(),
  };
}

/** Reads state.json; a missing or unreadable one gives an empty state and says why. */
export async function readAgentState(file: string): Promise<{ state: AgentState; problem?: string }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { state: emptyState() };
    return { state: emptyState(), problem: `cannot read ${file}: ${(error as Error).message}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { state: emptyState(), problem: `${file} is damaged (${(error as Error).message}); starting from the current symlink` };
  }
  const parsed = agentStateSchema.safeParse(json);
  if (parsed.success) return { state: parsed.data };
  const issue = parsed.error.issues[0];
  return {
    state: emptyState(),
    problem: `${file} is damaged (${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}); starting from the current symlink`,
  };
}

export async function writeAgentState(file: string, state: AgentState): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify({ ...state, updatedAt: new Date().toISOString() }, null, 2)}\n`);
}
