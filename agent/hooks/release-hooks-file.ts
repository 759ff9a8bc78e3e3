import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { DeployError } from '../errors';
import type { HookName } from './hook-names';

/** A release's hooks and their time limit, as read from the release dir. */
export interface ReleaseHooks {
  readonly commands: Readonly<Partial<Record<HookName, string>>>;
  readonly hookTimeoutMs: number;
  /** Where they were declared (for messages): `deployctl.json` or `package.json#deployctl`. */
  readonly source: string | undefined;
}

/** @default 300000 (5 min) */
export const DEFAULT_HOOK_TIMEOUT_MS = 300_000;

const command = z.string().trim().min(1, 'an empty command; remove the hook or give a shell command');

/**
 * The hooks part of `deployctl.json` / package.json `"deployctl"`: other keys
 * (a CLI config's `store`, say) are left alone, but inside `hooks` a typo is
 * refused rather than silently never run.
 */
const hooksFileSchema = z.object({
  hooks: z
    .strictObject({ prepare: command.optional(), once: command.optional(), validate: command.optional(), afterLive: command.optional() })
    .optional(),
  hookTimeoutMs: z.number().int().min(100).max(86_400_000).optional(),
});

/**
 * Reads the hooks a release declares: `deployctl.json` at its root, else the
 * `"deployctl"` key of its `package.json`; none when neither declares any.
 * A bad declaration is HOOKS_INVALID naming the file and the field.
 */
export async function readReleaseHooks(releaseDir: string): Promise<ReleaseHooks> {
  const own = await readJson(path.join(releaseDir, 'deployctl.json'), 'deployctl.json');
  if (own !== undefined) return parseHooks(own, 'deployctl.json');
  const pkg = await readJson(path.join(releaseDir, 'package.json'), 'package.json');
  if (pkg !== null && typeof pkg === 'object' && 'deployctl' in pkg) return parseHooks((pkg as { deployctl: unknown }).deployctl, 'package.json#deployctl');
  return { commands: {}, hookTimeoutMs: DEFAULT_HOOK_TIMEOUT_MS, source: undefined };
}

function parseHooks(json: unknown, source: string): ReleaseHooks {
  const parsed = hooksFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : '(root)';
    throw new DeployError(
      'HOOKS_INVALID',
      `${source} of the release is invalid at ${where}: ${issue?.message ?? 'unknown problem'}; expected { "hooks": { "prepare"?, "once"?, "validate"?, "afterLive"? }, "hookTimeoutMs"? }`,
      { cause: parsed.error },
    );
  }
  const { hooks = {}, hookTimeoutMs = DEFAULT_HOOK_TIMEOUT_MS } = parsed.data;
  const commands = Object.fromEntries(Object.entries(hooks).filter(([, value]) => value !== undefined)) as Partial<Record<HookName, string>>;
  return { commands, hookTimeoutMs, source };
}

async function readJson(file: string, name: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new DeployError('HOOKS_INVALID', `cannot read ${name} of the release: ${(error as Error).message}`, { cause: error });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new DeployError('HOOKS_INVALID', `${name} of the release is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}
