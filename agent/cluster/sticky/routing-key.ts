import type { RequestHead } from './request-head';

/** What ties a client to one worker (config `app.sticky.by`). */
export type StickyBy = 'sid' | 'x-forwarded-for';

/** The engine.io session id of a request URL (`?sid=`), when it is an engine.io request. */
export function engineIoSid(url: string): string | undefined {
  const at = url.indexOf('?');
  if (at < 0) return undefined;
  const query = new URLSearchParams(url.slice(at + 1));
  return query.has('EIO') ? (query.get('sid') ?? undefined) : undefined;
}

/** The first address of X-Forwarded-For, else the peer's address. */
export function clientAddress(forwardedFor: string | undefined, remoteAddress: string | undefined): string | undefined {
  const first = forwardedFor?.split(',')[0]?.trim();
  return first || remoteAddress;
}

/** The routing key of a request: its sid, or its client address; undefined: any worker will do. */
export function routingKey(by: StickyBy, head: RequestHead | undefined, remoteAddress: string | undefined): string | undefined {
  if (by === 'x-forwarded-for') return clientAddress(head?.headers.get('x-forwarded-for'), remoteAddress);
  return head ? engineIoSid(head.url) : undefined;
}
