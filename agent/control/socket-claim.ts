import { lstat, unlink } from 'node:fs/promises';
import net from 'node:net';
import { DeployError } from '../errors';

/** sockaddr_un holds 108 bytes with the terminating NUL on Linux. */
export const MAX_SOCKET_PATH_BYTES = 107;

/** How long a probe waits for whoever holds the socket to accept. */
const probeTimeoutMs = 2_000;

export type ClaimOutcome = 'free' | 'stale-removed';

/**
 * Makes `socketPath` free for this agent to listen on. A socket file nobody
 * answers on is a leftover of an agent that died (SIGKILL, power loss): it is
 * removed. A socket somebody answers on belongs to a running agent: refused,
 * so two agents never run side by side. Anything that is not a socket is
 * never removed.
 */
export async function claimSocketPath(socketPath: string): Promise<ClaimOutcome> {
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH_BYTES) {
    throw new DeployError('CONTROL_SOCKET_PATH_TOO_LONG', `control.socket ${socketPath} is longer than ${MAX_SOCKET_PATH_BYTES} bytes, the limit of a unix socket path; choose a shorter one`);
  }
  let isSocket: boolean;
  try {
    isSocket = (await lstat(socketPath)).isSocket();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'free';
    throw new DeployError('CONTROL_SOCKET_FAILED', `cannot check control.socket ${socketPath}: ${(error as Error).message}`, { cause: error });
  }
  if (!isSocket) {
    throw new DeployError('CONTROL_SOCKET_NOT_A_SOCKET', `control.socket ${socketPath} exists and is not a socket; move it away or set control.socket to another path`);
  }
  const answer = await probe(socketPath);
  if (answer === 'answers') {
    throw new DeployError(
      'CONTROL_SOCKET_IN_USE',
      `another deploy-agent is running on this instance: it answers on ${socketPath}. Stop it first (systemctl stop deploy-agent), or give this one its own control.socket if that is really meant`,
    );
  }
  if (answer === 'gone') return 'free';
  try {
    await unlink(socketPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new DeployError('CONTROL_SOCKET_FAILED', `cannot remove the stale control socket ${socketPath}: ${(error as Error).message}`, { cause: error });
    }
  }
  return 'stale-removed';
}

/** 'answers': somebody accepted; 'stale': the file is there but nobody listens; 'gone': it vanished meanwhile. */
function probe(socketPath: string): Promise<'answers' | 'stale' | 'gone'> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    const done = (outcome: 'answers' | 'stale' | 'gone' | Error): void => {
      clearTimeout(timer);
      socket.destroy();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    // No answer in time: something holds it (a hung agent); never remove that.
    const timer = setTimeout(() => done('answers'), probeTimeoutMs);
    socket.once('connect', () => done('answers'));
    socket.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED') return done('stale');
      if (error.code === 'ENOENT') return done('gone');
      done(new DeployError('CONTROL_SOCKET_FAILED', `cannot check who holds control.socket ${socketPath}: ${error.message}`, { cause: error }));
    });
  });
}
