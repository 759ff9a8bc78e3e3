import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { agentDefaults, DEFAULT_CONFIG_PATH } from '../config/defaults';
import { DeployError } from '../errors';

export interface SocketChoice {
  /** --socket */
  readonly socket?: string | undefined;
  /** --config */
  readonly config?: string | undefined;
}

/**
 * The control socket `deploy-agent status|reload|rollback` talks to:
 * --socket, else control.socket of --config (resolved like the agent does:
 * against the config file's directory), else that of the default config file
 * when there is one, else /run/deploy-agent.sock. Only `control.socket` is
 * read from the file; the agent validates the rest.
 */
export async function chooseControlSocket(choice: SocketChoice, cwd: string, defaultConfigPath: string = DEFAULT_CONFIG_PATH): Promise<string> {
  if (choice.socket !== undefined) return path.resolve(cwd, choice.socket);
  if (choice.config !== undefined) {
    const file = path.resolve(cwd, choice.config);
    const text = await readFile(file, 'utf8').catch((cause: unknown) => {
      throw new DeployError('CONFIG_UNREADABLE', `cannot read config ${file}: ${(cause as Error).message}`, { cause });
    });
    return socketOf(text, file) ?? agentDefaults.control.socket;
  }
  const text = await readFile(defaultConfigPath, 'utf8').catch(() => undefined);
  return (text === undefined ? undefined : socketOf(text, defaultConfigPath)) ?? agentDefaults.control.socket;
}

function socketOf(text: string, file: string): string | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const control = typeof json === 'object' && json !== null ? (json as { control?: unknown }).control : undefined;
  const socket = typeof control === 'object' && control !== null ? (control as { socket?: unknown }).socket : undefined;
  return typeof socket === 'string' && socket !== '' ? path.resolve(path.dirname(file), socket) : undefined;
}
