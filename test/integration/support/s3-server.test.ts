import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startS3Server, type S3Server } from '../../support/s3-server';
import { waitUntil, withTimeout } from '../../support/with-timeout';

/**
 * The conditional-write hook of the S3 test server (fauxqs itself ignores
 * If-None-Match / If-Match on writes): checked with the unmodified SDK, as the
 * stores use it, including the S3 error shape the SDK turns into its error names.
 */
describe('S3 test server: conditional writes', () => {
  const bucket = 'conditional';
  let server: S3Server;
  let client: S3Client;
  beforeEach(async () => {
    server = await startS3Server();
    await server.bucket(bucket);
    client = new S3Client({ ...server.options, maxAttempts: 1, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  });
  afterEach(async () => {
    client.destroy();
    await server.stop();
  });

  const put = (key: string, body: string, condition: { IfNoneMatch?: string; IfMatch?: string } = {}) =>
    client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ...condition }));
  const read = async (key: string): Promise<string | undefined> => {
    try {
      return await (await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body?.transformToString();
    } catch (error) {
      if ((error as Error).name === 'NoSuchKey') return undefined;
      throw error;
    }
  };
  const failure = async (promise: Promise<unknown>): Promise<{ name: string; status: number | undefined }> => {
    try {
      await promise;
    } catch (error) {
      return { name: (error as Error).name, status: (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode };
    }
    throw new Error('the request succeeded');
  };

  it('PutObject with If-None-Match: * creates a missing key and answers 412 PreconditionFailed for an existing one', async () => {
    await put('a.json', 'first', { IfNoneMatch: '*' });
    await expect(failure(put('a.json', 'second', { IfNoneMatch: '*' }))).resolves.toEqual({ name: 'PreconditionFailed', status: 412 });
    await expect(read('a.json')).resolves.toBe('first');
  });

  it('PutObject with If-Match replaces only the ETag it names; a missing key is 404 NoSuchKey', async () => {
    const first = await put('a.json', 'first');
    const second = await put('a.json', 'second', { IfMatch: first.ETag });
    await expect(failure(put('a.json', 'third', { IfMatch: first.ETag }))).resolves.toEqual({ name: 'PreconditionFailed', status: 412 });
    await expect(read('a.json')).resolves.toBe('second');
    await put('a.json', 'third', { IfMatch: second.ETag });
    await expect(read('a.json')).resolves.toBe('third');
    await expect(failure(put('missing.json', 'x', { IfMatch: first.ETag }))).resolves.toEqual({ name: 'NoSuchKey', status: 404 });
  });

  it('DeleteObject with If-Match deletes only the ETag it names', async () => {
    const first = await put('a.json', 'first');
    const second = await put('a.json', 'second');
    await expect(failure(client.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'a.json', IfMatch: first.ETag })))).resolves.toEqual({
      name: 'PreconditionFailed',
      status: 412,
    });
    await expect(read('a.json')).resolves.toBe('second');
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'a.json', IfMatch: second.ETag }));
    await expect(read('a.json')).resolves.toBeUndefined();
  });

  it('of many racing If-None-Match: * writes to one key exactly one succeeds', async () => {
    const results = await Promise.allSettled(Array.from({ length: 16 }, (_, i) => put('race.json', `writer-${i}`, { IfNoneMatch: '*' })));
    const won = results.flatMap((result, i) => (result.status === 'fulfilled' ? [i] : []));
    expect(won).toHaveLength(1);
    expect(results.filter((result) => result.status === 'rejected').map((result) => (result.reason as Error).name)).toEqual(
      Array.from({ length: 15 }, () => 'PreconditionFailed'),
    );
    await expect(read('race.json')).resolves.toBe(`writer-${won[0]}`);
  });

  it('of many racing If-Match writes of one ETag exactly one succeeds', async () => {
    const base = await put('race.json', 'base');
    const results = await Promise.allSettled(Array.from({ length: 16 }, (_, i) => put('race.json', `writer-${i}`, { IfMatch: base.ETag })));
    const won = results.flatMap((result, i) => (result.status === 'fulfilled' ? [i] : []));
    expect(won).toHaveLength(1);
    await expect(read('race.json')).resolves.toBe(`writer-${won[0]}`);
  });

  it('logs the conditional headers and the answer of each request', async () => {
    await put('a.json', 'first', { IfNoneMatch: '*' });
    await failure(put('a.json', 'second', { IfNoneMatch: '*' }));
    expect(server.requests.filter((r) => r.operation === 'PutObject')).toEqual([
      expect.objectContaining({ key: 'a.json', ifNoneMatch: '*', status: 200 }),
      expect.objectContaining({ key: 'a.json', ifNoneMatch: '*', status: 412 }),
    ]);
  });
});

/** The stall hook: a slow store at a moment the test picks, then an outage or a recovery. */
describe('S3 test server: stalls', () => {
  const bucket = 'stalls';
  const body = Buffer.alloc(256 * 1024, 7);
  let server: S3Server;
  let client: S3Client;
  beforeEach(async () => {
    server = await startS3Server();
    await server.bucket(bucket);
    client = new S3Client({ ...server.options, maxAttempts: 1, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'blob', Body: body }));
  });
  afterEach(async () => {
    client.destroy();
    await server.stop();
  });

  const isBlob = (r: { operation: string; key: string }) => r.operation === 'GetObject' && r.key === 'blob';

  it('holds a request before its answer until released, and lets the next one through', async () => {
    const stall = server.stall(isBlob);
    let answered = false;
    const held = client.send(new GetObjectCommand({ Bucket: bucket, Key: 'blob' })).then(async (out) => {
      answered = true;
      return Buffer.from((await out.Body?.transformToByteArray()) ?? []);
    });
    await withTimeout(stall.reached, 5_000, 'the request to be held');
    const next = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'blob' }));
    expect((await next.Body?.transformToByteArray())?.length).toBe(body.length);
    expect(answered).toBe(false);
    stall.release();
    expect((await withTimeout(held, 5_000, 'the released answer')).equals(body)).toBe(true);
  });

  it('hands out the first bytes of a body and the rest once released', async () => {
    const stall = server.stall(isBlob, { afterBytes: 1000 });
    const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'blob' }));
    expect(out.ContentLength).toBe(body.length);
    const stream = out.Body as NodeJS.ReadableStream;
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    const ended = new Promise((resolve) => stream.once('end', resolve));
    await withTimeout(stall.reached, 5_000, 'the first 1000 bytes to be handed out');
    await waitUntil(() => Buffer.concat(chunks).length === 1000, 5_000, 'the first 1000 bytes to arrive');
    stall.release();
    await withTimeout(ended, 5_000, 'the rest of the body');
    expect(Buffer.concat(chunks).equals(body)).toBe(true);
  });

  it('cuts a held body when the server stops (an outage mid-download)', async () => {
    const stall = server.stall(isBlob, { afterBytes: 1000 });
    const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'blob' }));
    const stream = out.Body as NodeJS.ReadableStream;
    const failed = new Promise<unknown>((resolve) => {
      stream.once('error', resolve);
      stream.once('end', () => resolve(undefined));
    });
    stream.resume();
    await withTimeout(stall.reached, 5_000, 'the first 1000 bytes to be handed out');
    await server.stop();
    // An error from node's own realm (not jest's), so matched by shape.
    expect(await withTimeout(failed, 5_000, 'the body to fail')).toMatchObject({ message: expect.stringMatching(/aborted|reset|closed/i) });
  });
});
