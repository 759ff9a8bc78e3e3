import { request } from 'node:http';
import type { HealthCheckFailure } from './target-state';

/** What one health check found: success, or the failure reason ELBv2 would report. */
export type ProbeResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: HealthCheckFailure; readonly detail?: string };

export interface ProbeTarget {
  readonly port: number;
  readonly path: string;
  readonly timeoutMs: number;
  /** ELBv2 `Matcher.HttpCode`: "200", "200,202" or "200-299". */
  readonly matcher: string;
}

/** Whether `status` matches an ELBv2 `HttpCode` matcher ("200", "200,202", "200-299"). */
export function statusMatches(matcher: string, status: number): boolean {
  return matcher.split(',').some((part) => {
    const [low, high] = part.trim().split('-');
    const min = Number(low);
    const max = high === undefined ? min : Number(high);
    return status >= min && status <= max;
  });
}

/** Whether `matcher` is a well-formed ELBv2 HTTP code matcher (codes 200-499). */
export function isValidMatcher(matcher: string): boolean {
  return matcher.split(',').every((part) => {
    const match = /^(\d{3})(?:-(\d{3}))?$/.exec(part.trim());
    if (!match) return false;
    const min = Number(match[1]);
    const max = match[2] === undefined ? min : Number(match[2]);
    return min >= 200 && max <= 499 && min <= max;
  });
}

/**
 * One real HTTP health check: `GET http://127.0.0.1:<port><path>` on a fresh connection, with the
 * ELB health checker's user agent. Never rejects. `track` receives the request so that it can be
 * destroyed when the emulator stops.
 */
export function probe(target: ProbeTarget, track: (abort: () => void) => () => void): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: ProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      untrack();
      req.destroy();
      resolve(result);
    };
    const req = request({
      host: '127.0.0.1',
      port: target.port,
      path: target.path,
      method: 'GET',
      agent: false,
      headers: { 'user-agent': 'ELB-HealthChecker/2.0', connection: 'close' },
    });
    const timer = setTimeout(() => finish({ ok: false, reason: 'Target.Timeout' }), target.timeoutMs);
    const untrack = track(() => finish({ ok: false, reason: 'Target.FailedHealthChecks' }));
    req.on('error', () => finish({ ok: false, reason: 'Target.FailedHealthChecks' }));
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      if (statusMatches(target.matcher, status)) finish({ ok: true });
      else finish({ ok: false, reason: 'Target.ResponseCodeMismatch', detail: String(status) });
    });
    req.end();
  });
}
