import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { actions, type ActionContext } from './api-actions';
import { Elbv2ApiError } from './api-error';
import type { FaultInjector } from './fault-injector';
import { listenLocal } from './listen-local';
import { QueryParams } from './query-params';
import { errorXml, resultXml } from './xml-response';

export const API_VERSION = '2015-12-01';
const maxBodyBytes = 1024 * 1024;

/** One API request the emulator answered. */
export interface ApiRequest {
  /** The `Action` parameter ('' when absent). */
  readonly action: string;
  /** When it arrived, in milliseconds since the epoch. */
  readonly at: number;
  /** The HTTP status of the answer; 0 until answered. */
  status: number;
  /** Every Query parameter as sent (`Targets.member.1.Id`, …). */
  readonly params: Readonly<Record<string, string>>;
}

export interface ApiServerDeps {
  readonly context: ActionContext;
  readonly faults: FaultInjector;
  readonly requests: ApiRequest[];
}

export interface ApiServer {
  /** http://127.0.0.1:PORT */
  readonly endpoint: string;
  /** Stops listening and drops every connection. */
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) req.destroy(new Error('request body too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function answer(res: ServerResponse, status: number, body: string, requestId: string): void {
  res.writeHead(status, {
    'content-type': 'text/xml',
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': requestId,
  });
  res.end(body);
}

/** Runs one request; returns the status and XML body of the answer. */
function dispatch(params: QueryParams, action: string, deps: ApiServerDeps, requestId: string): [number, string] {
  try {
    const handler = actions[action];
    if (!handler || params.string('Version') !== API_VERSION) {
      const version = params.string('Version') ?? '';
      throw new Elbv2ApiError('InvalidAction', `Could not find operation ${action} for version ${version}`);
    }
    const fault = deps.faults.take(action);
    if (fault) throw fault;
    return [200, resultXml(action, handler(params, deps.context), requestId)];
  } catch (err: unknown) {
    const error =
      err instanceof Elbv2ApiError
        ? err
        : new Elbv2ApiError('InternalFailure', `emulator bug: ${err instanceof Error ? err.stack : String(err)}`, 500);
    return [error.status, errorXml(error.type, error.code, error.message, requestId)];
  }
}

/** Starts the AWS Query API on 127.0.0.1 and a free port. */
export async function startApiServer(deps: ApiServerDeps): Promise<ApiServer> {
  const server = createServer((req, res) => {
    const requestId = randomUUID();
    readBody(req).then(
      (body) => {
        const query = req.url?.split('?')[1] ?? '';
        const params = new QueryParams(req.method === 'POST' ? body : query);
        const action = params.string('Action') ?? '';
        const entry: ApiRequest = { action, at: Date.now(), status: 0, params: params.toRecord() };
        deps.requests.push(entry);
        const [status, xml] = dispatch(params, action, deps, requestId);
        entry.status = status;
        answer(res, status, xml, requestId);
      },
      () => res.destroy(),
    );
  });
  const port = await listenLocal(server);
  let closed: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
