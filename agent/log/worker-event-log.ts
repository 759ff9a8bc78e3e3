import type { SupervisorEvent } from '../cluster/roll-types';
import type { Logger } from './logger';

/**
 * One log line per supervisor event, each carrying the worker it is about:
 * `slot` (the worker's id: stable across restarts and rolls), `pid` (null when
 * no process is left, e.g. a slot given up after a crash loop), `version` (the
 * release that worker runs) and `step` (the deploy step the agent is in, so a
 * worker line inside a deploy reads like the deploy's own lines).
 */
export function logWorkerEvent(log: Logger, event: SupervisorEvent, step: string): void {
  switch (event.type) {
    case 'worker-ready':
      log.info({ event: event.type, step, slot: event.slot, pid: event.pid ?? null, version: event.version }, `worker ${event.slot} ready on ${event.version}`);
      return;
    case 'worker-crashed': {
      const fields = {
        event: event.type,
        step,
        slot: event.slot,
        pid: event.pid ?? null,
        version: event.version,
        exitCode: event.exit.code,
        signal: event.exit.signal,
        err: event.error,
        restartInMs: event.restartInMs,
      };
      const then = event.restartInMs === null ? 'not restarted' : `restarting in ${event.restartInMs} ms`;
      log.warn(fields, `worker ${event.slot} (${event.version}) crashed; ${then}`);
      return;
    }
    case 'crash-loop':
      log.error(
        { event: event.type, step, slot: event.slot, pid: null, version: event.version, crashes: event.crashes },
        `worker ${event.slot} (${event.version}) crashed ${event.crashes} times in a row; its slot stays empty until the next deploy`,
      );
      return;
    case 'slot-restarting':
      log.warn(
        { event: event.type, step, slot: event.slot, pid: null, version: event.version, restartInMs: event.restartInMs, err: event.reason },
        `worker ${event.slot} is empty (${event.reason}); starting it on ${event.version} in ${event.restartInMs} ms`,
      );
      return;
    case 'roll-failed': {
      const f = event.failure;
      log.warn(
        { event: event.type, step, slot: f.slot, pid: null, version: f.version, failedAt: f.step, reason: f.reason, err: f.message },
        `a new worker of ${f.version} failed (${f.reason}) during the roll; undoing it`,
      );
      return;
    }
  }
}
