import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { S3Options } from '../../agent/store/s3-options';
import { sendStalled, StallQueue, type Stall } from './s3-stalls';
import { withTimeout } from './with-timeout';

export type { Stall } from './s3-stalls';

/**
 * A real S3-protocol server for tests: fauxqs (in-memory SNS/SQS/S3), started
 * in this process on 127.0.0.1 and a free port, with a hook in front of its S3
 * routes that adds what fauxqs lacks and tests need:
 * - conditional writes as S3 does them: PutObject and CompleteMultipartUpload
 *   with `If-None-Match: *` get 412 PreconditionFailed when the key exists;
 *   with `If-Match: <etag>` 412 when the ETag differs, 404 NoSuchKey when the
 *   key is missing. Writes to one key are serialised around the check, so two
 *   racing conditional writes cannot both win. (Conditional GETs with
 *   `If-None-Match: <etag>` → 304 are fauxqs's own.)
 * - a log of every request (operation, key, conditional headers, status, when),
 *   which `countRequests` (s3-request-counts.ts) sums per operation and key prefix;
 * - `failNext(n, status)`: the next n requests get a 500/503 S3 error;
 * - `stop()` / `start()`: an outage and a recovery on the same port, objects kept.
 * - `stall(match)`: holds the next matching request (before its answer, or
 *   part-way through its answer's body) until the test lets it go: a slow
 *   store, at a moment the test chooses.
 *
 * Credentials: fauxqs accepts any, but the SDK's chain must find some (and
 * must not go on to ask EC2's metadata service), so starting a server sets
 * AWS_ACCESS_KEY_ID=test and AWS_SECRET_ACCESS_KEY=test in this (jest
 * worker's) process.env. It also silences the SDK's once-per-process notice
 * that its 2027 releases will need Node 22.
 */
export interface S3Server {
  /** http://127.0.0.1:PORT */
  readonly endpoint: string;
  readonly port: number;
  /** What a store needs to reach this server (path-style, us-east-1). */
  readonly options: S3Options;
  /** Creates the bucket (idempotent). */
  bucket(name: string): Promise<void>;
  /** Every request the SDK sent so far (internal lookups excluded), oldest first. */
  readonly requests: readonly SeenRequest[];
  clearRequests(): void;
  /** Answers the next `count` requests with `status` and an S3 error body, without handling them. */
  failNext(count: number, status: 500 | 503): void;
  /**
   * Holds the next request `match` accepts: before it is answered, or, with
   * `afterBytes`, after that many bytes of its answer's body were handed out.
   * `stop()` drops the held connection like every other (and lets the stall go).
   */
  stall(match: (request: SeenRequest) => boolean, options?: { readonly afterBytes?: number }): Stall;
  /** Stops listening and drops every connection (an outage). Objects are kept. Idempotent; enough as cleanup. */
  stop(): Promise<void>;
  /** Listens again on the same port. Idempotent. */
  start(): Promise<void>;
}

export interface SeenRequest {
  readonly operation: string;
  readonly bucket: string;
  readonly key: string;
  readonly ifMatch: string | undefined;
  readonly ifNoneMatch: string | undefined;
  /** The request body's length, from its content-length header. */
  readonly bytes: number | undefined;
  /** The answer's HTTP status; 0 until answered. */
  status: number;
  /** When the request arrived (Date.now()). */
  readonly at: number;
}

/** The little of fastify (as fauxqs builds it) that this module uses. */
interface HookRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly raw: IncomingMessage;
}
interface HookReply {
  readonly raw: ServerResponse;
  code(status: number): HookReply;
  hijack(): HookReply;
  header(name: string, value: string): HookReply;
  send(payload?: string): HookReply;
}
type Hook = (request: HookRequest, reply: HookReply) => Promise<unknown>;
interface FauxqsApp {
  readonly server: Server;
  addHook(name: 'onRequest' | 'preHandler', hook: Hook): unknown;
  inject(options: { method: string; url: string; headers?: Record<string, string> }): Promise<{
    statusCode: number;
    headers: Record<string, unknown>;
    rawPayload: Buffer;
  }>;
  listen(options: { port: number; host: string }): Promise<string>;
}
interface FauxqsModule {
  buildApp(options: { logger: boolean }): FauxqsApp;
}

/** Marks the hook's own lookups, so they skip the hook and the log. */
const INTERNAL = 'x-s3-test-server-internal';
const WAIT_MS = 5_000;

export async function startS3Server(): Promise<S3Server> {
  process.env.AWS_ACCESS_KEY_ID = 'test';
  process.env.AWS_SECRET_ACCESS_KEY = 'test';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const app = loadFauxqs().buildApp({ logger: false });
  const seen = new WeakMap<IncomingMessage, SeenRequest>();
  const keyLocks = new KeyLocks();
  let requests: SeenRequest[] = [];
  let failures: { count: number; status: 500 | 503 } = { count: 0, status: 503 };
  const stalls = new StallQueue();

  app.addHook('onRequest', async (request, reply) => {
    if (request.headers[INTERNAL] !== undefined) return;
    const conditions = { ifMatch: header(request, 'if-match'), ifNoneMatch: header(request, 'if-none-match') };
    const entry: SeenRequest = { ...classify(request), ...conditions, bytes: lengthOf(request), status: 0, at: Date.now() };
    requests.push(entry);
    seen.set(request.raw, entry);
    reply.raw.once('close', () => {
      entry.status = reply.raw.statusCode;
    });
  });
  app.addHook('preHandler', async (request, reply) => {
    const entry = seen.get(request.raw);
    if (entry === undefined) return undefined;
    const stall = stalls.take(entry);
    if (stall !== undefined) {
      if (stall.afterBytes !== undefined) {
        const answer = await app.inject({ method: request.method, url: request.url, headers: { ...flatHeaders(request), [INTERNAL]: '1' } });
        sendStalled(reply.hijack().raw, answer, stall, stall.afterBytes);
        return reply;
      }
      stall.arrive();
      await stall.gate;
    }
    if (failures.count > 0) {
      failures = { ...failures, count: failures.count - 1 };
      const code = failures.status === 503 ? 'ServiceUnavailable' : 'InternalError';
      return sendError(reply, failures.status, code, 'injected by the S3 test server', entry);
    }
    if (!isObjectWrite(entry.operation)) return undefined;
    const release = await keyLocks.acquire(`${entry.bucket}/${entry.key}`);
    reply.raw.once('close', release);
    if (entry.ifNoneMatch === undefined && entry.ifMatch === undefined) return undefined;
    const head = await app.inject({ method: 'HEAD', url: new URL(request.url, 'http://s3').pathname, headers: { [INTERNAL]: '1' } });
    const current = head.statusCode === 200 ? String(head.headers.etag ?? '') : undefined;
    if (entry.ifNoneMatch !== undefined && current !== undefined && (entry.ifNoneMatch === '*' || sameEtag(entry.ifNoneMatch, current))) {
      return sendError(reply, 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', entry);
    }
    if (entry.ifMatch !== undefined && current === undefined) {
      return sendError(reply, 404, 'NoSuchKey', 'The specified key does not exist.', entry);
    }
    if (entry.ifMatch !== undefined && current !== undefined && !sameEtag(entry.ifMatch, current)) {
      return sendError(reply, 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', entry);
    }
    return undefined;
  });

  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('the S3 test server has no TCP address');
  const { port } = address;
  const endpoint = `http://127.0.0.1:${port}`;

  return {
    endpoint,
    port,
    options: { endpoint, region: 'us-east-1', forcePathStyle: true },
    async bucket(name) {
      const created = await app.inject({ method: 'PUT', url: `/${encodeURIComponent(name)}`, headers: { [INTERNAL]: '1' } });
      if (created.statusCode !== 200) throw new Error(`the S3 test server could not create bucket ${name}: HTTP ${created.statusCode}`);
    },
    get requests() {
      return requests;
    },
    clearRequests() {
      requests = [];
    },
    failNext(count, status) {
      failures = { count, status };
    },
    stall(match, options = {}) {
      return stalls.add(match, options.afterBytes);
    },
    async stop() {
      const closed = app.server.listening ? new Promise<void>((resolve) => app.server.close(() => resolve())) : undefined;
      if (closed !== undefined) app.server.closeAllConnections();
      // Only once their connections are gone: a held request must not get its answer out now.
      stalls.releaseAll();
      if (closed !== undefined) await withTimeout(closed, WAIT_MS, `the S3 test server on port ${port} to close`);
    },
    async start() {
      if (app.server.listening) return;
      const listening = new Promise<void>((resolve, reject) => {
        app.server.once('error', reject);
        app.server.listen(port, '127.0.0.1', () => {
          app.server.off('error', reject);
          resolve();
        });
      });
      await withTimeout(listening, WAIT_MS, `the S3 test server to listen again on 127.0.0.1:${port}`);
    },
  };
}

/**
 * fauxqs is an ES module whose package exports only an `import` entry, and
 * jest's CommonJS runtime can neither require nor import it. So it is loaded
 * with Node's own require (which loads ES modules since Node 20.19), taken
 * from the real `module` built-in (jest hands out a stand-in for `module`),
 * at the file the package's `exports["."].import` names.
 */
function loadFauxqs(): FauxqsModule {
  const nodeRequire = process.getBuiltinModule('node:module').createRequire(__filename);
  const dir = (nodeRequire.resolve.paths('fauxqs') ?? []).map((base) => path.join(base, 'fauxqs')).find((candidate) => readJson(candidate) !== undefined);
  const exportsField = dir === undefined ? undefined : readJson(dir)?.exports;
  const entry = (exportsField as { '.'?: { import?: { default?: unknown } } } | undefined)?.['.']?.import?.default;
  if (dir === undefined || typeof entry !== 'string') throw new Error('fauxqs is not installed (npm i -D fauxqs), or its package.json changed shape');
  return nodeRequire(path.join(dir, entry)) as FauxqsModule;
}

function readJson(dir: string): { exports?: unknown } | undefined {
  try {
    return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { exports?: unknown };
  } catch {
    return undefined;
  }
}

function flatHeaders(request: HookRequest): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const name of Object.keys(request.headers)) {
    const value = header(request, name);
    if (value !== undefined) flat[name] = value;
  }
  return flat;
}

/** The S3 operation a path-style request is (the subset fauxqs routes). */
function classify(request: HookRequest): { operation: string; bucket: string; key: string } {
  const url = new URL(request.url, 'http://s3');
  const [bucket = '', ...rest] = url.pathname.slice(1).split('/').map((part) => decodeURIComponent(part));
  const key = rest.join('/');
  const q = url.searchParams;
  const object = key !== '';
  const byMethod: Record<string, string> = {
    GET: object ? 'GetObject' : 'ListObjects',
    HEAD: object ? 'HeadObject' : 'HeadBucket',
    PUT: !object ? 'CreateBucket' : q.has('partNumber') ? 'UploadPart' : request.headers['x-amz-copy-source'] ? 'CopyObject' : 'PutObject',
    POST: !object ? 'DeleteObjects' : q.has('uploads') ? 'CreateMultipartUpload' : q.has('uploadId') ? 'CompleteMultipartUpload' : 'DeleteObjects',
    DELETE: !object ? 'DeleteBucket' : q.has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject',
  };
  return { operation: byMethod[request.method] ?? request.method, bucket, key };
}

/** Operations that change what a key holds (and so take the key's lock). */
function isObjectWrite(operation: string): boolean {
  return ['PutObject', 'CopyObject', 'CompleteMultipartUpload', 'DeleteObject'].includes(operation);
}

function header(request: HookRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

function lengthOf(request: HookRequest): number | undefined {
  const value = header(request, 'content-length');
  return value === undefined ? undefined : Number(value);
}

function sameEtag(a: string, b: string): boolean {
  const bare = (etag: string): string => etag.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
  return bare(a) === bare(b);
}

function sendError(reply: HookReply, status: number, code: string, message: string, entry: SeenRequest): HookReply {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><Resource>/${entry.bucket}/${entry.key}</Resource><RequestId>s3-test-server</RequestId></Error>`;
  return reply.code(status).header('content-type', 'application/xml').send(xml);
}

/** One queue per key: a write waits until the previous write to that key was answered. */
class KeyLocks {
  private readonly tails = new Map<string, Promise<void>>();

  async acquire(name: string): Promise<() => void> {
    const previous = this.tails.get(name) ?? Promise.resolve();
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => held);
    this.tails.set(name, tail);
    await previous;
    return () => {
      release();
      if (this.tails.get(name) === tail) this.tails.delete(name);
    };
  }
}
