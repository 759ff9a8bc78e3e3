import { DeployError } from '../errors';
import { describeHolder, findPortHolder } from './port-holder';
import type { Release } from './managed-worker';
import { rollFailure } from './roll-failure';
import { stderrSummary } from './stderr-tail';

/** `listen EADDRINUSE: address already in use :::3000` → 3000. */
const addressInUse = /EADDRINUSE\b[^\n]*?:(\d+)\b/;

/**
 * The one-line error of a failed start: PORT_IN_USE when a worker could not
 * listen because another program holds the port (naming that program where
 * /proc says), else SUPERVISOR_START_FAILED; both with the failed worker's
 * message and its last stderr lines.
 */
export async function startFailed(error: unknown, release: Release, appPort: number, procRoot?: string): Promise<DeployError> {
  const failure = rollFailure(error, 'start', -1);
  const tail = stderrSummary(failure.stderr);
  const firstLine = failure.message.split('\n')[0] ?? '';
  const text = [failure.message, ...failure.stderr].join('\n');
  if (/EADDRINUSE/.test(text)) {
    const port = Number(addressInUse.exec(text)?.[1] ?? appPort);
    const holder = await findPortHolder(port, procRoot);
    const who = holder ? `another program, ${describeHolder(holder)}` : 'another program';
    const fix = port === appPort ? 'stop it, or set app.port to a free port' : 'stop it, or have the app use a free port';
    return new DeployError('PORT_IN_USE', `could not start ${release.version}: port ${port} is in use by ${who}; ${fix}${tail}`, { cause: error });
  }
  return new DeployError('SUPERVISOR_START_FAILED', `could not start ${release.version}: ${firstLine}${tail}`, { cause: error });
}
