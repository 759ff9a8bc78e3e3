import type { ConditionalDocs } from '../store/conditional-docs';
import { nonce, readRecord, serialize, ticketSchema, type Ticket } from './rollout-records';

/** A ticket this agent holds: its key, the tag of our write, and the document. */
export interface HeldTicket {
  readonly key: string;
  readonly etag: string;
  readonly ticket: Ticket;
}

export interface TicketRequest {
  readonly holder: string;
  readonly version: string;
  readonly leaseMs: number;
  readonly nowMs: number;
}

/**
 * What another agent may take: a missing document, a foreign one, a
 * `deploying` ticket whose lease expired (its holder died), or a `failed`
 * canary ticket (the failure is counted in failure-<K>.json; another instance
 * may try the canary while the budget lasts).
 */
export function isTakeable(ticket: Ticket | undefined, nowMs: number): boolean {
  if (ticket === undefined) return true;
  if (ticket.state === 'failed') return true;
  return ticket.state === 'deploying' && Date.parse(ticket.expiresAt) <= nowMs;
}

/**
 * Takes the ticket at `key`: creates it when it is free (If-None-Match: *),
 * takes it over when it is takeable (If-Match on the tag read), and picks up
 * our own `deploying` ticket again after a restart. Reads first, so a waiting
 * agent costs GETs, not failed PUTs. Undefined when someone else holds it.
 */
export async function tryTakeTicket(docs: ConditionalDocs, key: string, request: TicketRequest): Promise<HeldTicket | undefined> {
  const current = await readRecord(docs, ticketSchema, key);
  const fresh = freshTicket(request);
  const text = serialize(fresh);
  if (current === undefined) {
    const etag = await docs.create(key, text);
    return etag === undefined ? undefined : { key, etag, ticket: fresh };
  }
  const mine = current.value?.holder === request.holder && current.value.state === 'deploying';
  if (!mine && !isTakeable(current.value, request.nowMs)) return undefined;
  const etag = await docs.replace(key, current.etag, text);
  return etag === undefined ? undefined : { key, etag, ticket: fresh };
}

/** Extends the lease; undefined when the ticket is no longer ours. */
export async function renewTicket(docs: ConditionalDocs, held: HeldTicket, leaseMs: number, nowMs: number): Promise<HeldTicket | undefined> {
  const ticket: Ticket = { ...held.ticket, expiresAt: new Date(nowMs + leaseMs).toISOString(), nonce: nonce() };
  const etag = await docs.replace(held.key, held.etag, serialize(ticket));
  return etag === undefined ? undefined : { key: held.key, etag, ticket };
}

/** Marks the ticket live or failed (canary tickets stay); false when it is no longer ours. */
export async function markTicket(docs: ConditionalDocs, held: HeldTicket, state: 'live' | 'failed', nowMs: number, error?: string): Promise<boolean> {
  const at = new Date(nowMs).toISOString();
  const ticket: Ticket = { ...held.ticket, state, ...(state === 'live' ? { liveAt: at } : {}), ...(error ? { error } : {}), nonce: nonce() };
  return (await docs.replace(held.key, held.etag, serialize(ticket))) !== undefined;
}

/** Gives a batch ticket back; a no-op when it is no longer ours. */
export async function releaseTicket(docs: ConditionalDocs, held: HeldTicket): Promise<void> {
  await docs.remove(held.key, held.etag);
}

function freshTicket(request: TicketRequest): Ticket {
  return {
    holder: request.holder,
    version: request.version,
    state: 'deploying',
    acquiredAt: new Date(request.nowMs).toISOString(),
    expiresAt: new Date(request.nowMs + request.leaseMs).toISOString(),
    nonce: nonce(),
  };
}
