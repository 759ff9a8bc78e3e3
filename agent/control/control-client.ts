import net from 'node:net';
import { DeployError } from '../errors';
import { controlResponseSchema, encodeLine, type ControlCommandName, type ControlResponse } from './control-protocol';

/** The agent could not be asked at all (not running, wrong path, no permission): `deploy-agent <command>` exits 2. */
export class AgentUnreachableError extends DeployError {
  constructor(
    readonly socketPath: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      'AGENT_UNREACHABLE',
      `cannot reach deploy-agent on ${socketPath}: ${reason}. Is the agent running (systemctl status deploy-agent)? ` +
        `Is the socket path right (--socket, or control.socket in the agent's config)? Are you root (the socket is mode 0600)?`,
      options,
    );
  }

  override get name(): string {
    return 'AgentUnreachableError';
  }
}

export interface ControlRequestOptions {
  /** Give up when no answer came within this (undefined: wait as long as the agent works, e.g. a rollback). */
  readonly timeoutMs?: number;
}

const reasons: Readonly<Record<string, string>> = {
  ENOENT: 'no such socket',
  ECONNREFUSED: 'nobody answers on it (the socket is left from an agent that is not running)',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOTSOCK: 'it is not a socket',
};

/** Sends one request to the agent's control socket and returns its answer (a refusal is an answer too). */
export function requestAgent(socketPath: string, command: ControlCommandName, options: ControlRequestOptions = {}): Promise<ControlResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    let received = '';
    let connected = false;
    let settled = false;
    const finish = (outcome: ControlResponse | Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => finish(new AgentUnreachableError(socketPath, `no answer within ${options.timeoutMs} ms`)), options.timeoutMs);
    socket.setEncoding('utf8');
    socket.once('connect', () => {
      connected = true;
      socket.write(encodeLine({ command }));
    });
    socket.on('data', (chunk: string) => {
      received += chunk;
      const end = received.indexOf('\n');
      if (end >= 0) finish(parseResponse(received.slice(0, end), socketPath));
    });
    socket.once('end', () => finish(new AgentUnreachableError(socketPath, 'the agent closed the connection without an answer (is it stopping?)')));
    socket.once('error', (error: NodeJS.ErrnoException) => {
      const reason = connected ? `the connection failed: ${error.message}` : (reasons[error.code ?? ''] ?? error.message);
      finish(new AgentUnreachableError(socketPath, reason, { cause: error }));
    });
  });
}

function parseResponse(line: string, socketPath: string): ControlResponse | Error {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (cause) {
    return new DeployError('CONTROL_BAD_RESPONSE', `${socketPath} answered something that is not JSON; is it deploy-agent's control socket?`, { cause });
  }
  const parsed = controlResponseSchema.safeParse(json);
  if (!parsed.success) return new DeployError('CONTROL_BAD_RESPONSE', `${socketPath} answered an unexpected message; are the agent and this command the same version?`);
  return parsed.data;
}
