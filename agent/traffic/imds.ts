import http from 'node:http';
import { DeployError } from '../errors';

/** Where EC2's instance metadata service answers (IMDSv2). */
export const IMDS_ENDPOINT = 'http://169.254.169.254';

export interface ImdsOptions {
  /** @default http://169.254.169.254 (tests point it at a local fake) */
  readonly endpoint?: string;
  /** Each of the two requests must answer within this. @default 1000 */
  readonly timeoutMs?: number;
}

/**
 * This instance's id from IMDSv2: PUT /latest/api/token for a session token,
 * then GET /latest/meta-data/instance-id with it (DESIGN §4). Only called
 * when the config has no `instanceId`.
 */
export async function fetchInstanceId(options: ImdsOptions = {}): Promise<string> {
  const endpoint = options.endpoint ?? IMDS_ENDPOINT;
  const timeoutMs = options.timeoutMs ?? 1000;
  const token = await request(endpoint, 'PUT', '/latest/api/token', { 'x-aws-ec2-metadata-token-ttl-seconds': '21600' }, timeoutMs);
  const id = (await request(endpoint, 'GET', '/latest/meta-data/instance-id', { 'x-aws-ec2-metadata-token': token }, timeoutMs)).trim();
  if (!/^i-[0-9a-f]{8,17}$/.test(id)) {
    throw new DeployError('IMDS_UNEXPECTED', `IMDS answered ${JSON.stringify(id.slice(0, 40))} for the instance id; set "instanceId" in the config`);
  }
  return id;
}

function request(endpoint: string, method: string, path: string, headers: Record<string, string>, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const fail = (why: string, cause?: unknown) =>
      reject(
        new DeployError('IMDS_UNAVAILABLE', `cannot get the instance id from IMDSv2 (${method} ${path}: ${why}); off EC2, set "instanceId" in the config`, {
          cause,
        }),
      );
    const req = http.request(new URL(path, endpoint), { method, headers, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : fail(`status ${res.statusCode}`)));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (error) => fail(error.message, error));
    req.end();
  });
}
