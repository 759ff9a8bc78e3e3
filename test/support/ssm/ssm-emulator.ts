import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { listenLocal } from '../elbv2/listen-local';

/**
 * A local SSM Parameter Store that speaks the real wire protocol of
 * `GetParameters` to the unmodified `@aws-sdk/client-ssm` (through
 * `endpoint`): AWS JSON 1.1, `POST /` with `X-Amz-Target:
 * AmazonSSM.GetParameters`, SigV4-signed; answers `{ Parameters,
 * InvalidParameters }` (missing names are listed, not an error, as AWS does),
 * SecureString values only decrypted `WithDecryption`, at most 10 names a call
 * (ValidationException otherwise), and errors as `{ "__type", "message" }`
 * with `x-amzn-ErrorType`: AccessDeniedException for names under a denied
 * prefix, ThrottlingException when told to throttle.
 */
export interface SsmParameter {
  readonly value: string;
  /** @default 'SecureString' */
  readonly type?: 'String' | 'SecureString' | 'StringList';
}

export interface SsmRequest {
  readonly target: string;
  readonly names: readonly string[];
  readonly withDecryption: boolean;
  readonly signed: boolean;
  status: number;
}

export interface SsmEmulator {
  readonly endpoint: string;
  readonly requests: SsmRequest[];
  put(name: string, parameter: SsmParameter): void;
  /** Every name under `prefix` answers AccessDeniedException, like an IAM policy that does not grant it. */
  deny(prefix: string): void;
  /** The next `count` calls answer ThrottlingException (400), which the SDK retries. */
  throttle(count: number): void;
  stop(): Promise<void>;
}

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const MAX_NAMES = 10;

export async function startSsmEmulator(): Promise<SsmEmulator> {
  const parameters = new Map<string, SsmParameter & { version: number }>();
  const denied: string[] = [];
  const requests: SsmRequest[] = [];
  const sockets = new Set<Socket>();
  let throttles = 0;

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => send(res, 500, { __type: 'InternalServerError', message: String(error) }));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const target = String(req.headers['x-amz-target'] ?? '');
    const request: SsmRequest = { target, names: [], withDecryption: false, signed: /^AWS4-HMAC-SHA256 Credential=/.test(String(req.headers.authorization ?? '')), status: 0 };
    requests.push(request);
    const reply = (status: number, payload: unknown): void => {
      request.status = status;
      send(res, status, payload);
    };
    if (req.method !== 'POST' || req.url !== '/' || !String(req.headers['content-type'] ?? '').startsWith('application/x-amz-json-1.1')) {
      return reply(400, { __type: 'SerializationException', message: 'expected POST / with application/x-amz-json-1.1' });
    }
    if (!request.signed) return reply(400, { __type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' });
    if (target !== 'AmazonSSM.GetParameters') return reply(400, { __type: 'UnknownOperationException', message: `unknown operation ${target}` });
    let input: { Names?: unknown; WithDecryption?: unknown };
    try {
      input = JSON.parse(body) as typeof input;
    } catch {
      return reply(400, { __type: 'SerializationException', message: 'body is not JSON' });
    }
    const names = Array.isArray(input.Names) ? input.Names.map(String) : [];
    Object.assign(request, { names, withDecryption: input.WithDecryption === true });
    if (throttles > 0) {
      throttles -= 1;
      return reply(400, { __type: 'ThrottlingException', message: 'Rate exceeded' });
    }
    if (names.length < 1 || names.length > MAX_NAMES) {
      return reply(400, { __type: 'ValidationException', message: `1 validation error detected: Value at 'names' failed to satisfy constraint: Member must have length less than or equal to ${MAX_NAMES}` });
    }
    const forbidden = names.find((name) => denied.some((prefix) => name.startsWith(prefix)));
    if (forbidden !== undefined) {
      return reply(400, {
        __type: 'AccessDeniedException',
        message: `User: arn:aws:sts::${ACCOUNT}:assumed-role/deploy-agent/i-0123 is not authorized to perform: ssm:GetParameters on resource: ${arnOf(forbidden)} because no identity-based policy allows the ssm:GetParameters action`,
      });
    }
    const found = names.filter((name) => parameters.has(name));
    reply(200, {
      Parameters: found.map((name) => {
        const p = parameters.get(name);
        const type = p?.type ?? 'SecureString';
        const value = type === 'SecureString' && !request.withDecryption ? Buffer.from(`kms:${p?.value ?? ''}`).toString('base64') : (p?.value ?? '');
        return { Name: name, Type: type, Value: value, Version: p?.version ?? 1, ARN: arnOf(name), DataType: 'text', LastModifiedDate: Math.floor(Date.now() / 1000) };
      }),
      InvalidParameters: names.filter((name) => !parameters.has(name)),
    });
  }

  const port = await listenLocal(server);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    put(name, parameter) {
      parameters.set(name, { ...parameter, version: (parameters.get(name)?.version ?? 0) + 1 });
    },
    deny(prefix) {
      denied.push(prefix);
    },
    throttle(count) {
      throttles = count;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function arnOf(name: string): string {
  return `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${name.startsWith('/') ? '' : '/'}${name}`;
}

function send(res: ServerResponse, status: number, payload: unknown): void {
  const body = JSON.stringify(payload);
  const headers: Record<string, string | number> = { 'content-type': 'application/x-amz-json-1.1', 'content-length': Buffer.byteLength(body), 'x-amzn-requestid': randomUUID() };
  if (status >= 400 && typeof payload === 'object' && payload !== null && '__type' in payload) headers['x-amzn-errortype'] = String((payload as { __type: unknown }).__type);
  res.writeHead(status, headers);
  res.end(body);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
