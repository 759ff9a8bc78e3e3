import { parseS3Url } from '../../../../agent/store/s3-url';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('parseS3Url', () => {
  test.each([
    ['s3://releases/prod', 'releases', 'prod'],
    ['s3://my-bucket/fleets/web', 'my-bucket', 'fleets/web'],
    ['s3://my.bucket.example/x', 'my.bucket.example', 'x'],
    ['s3://abc', 'abc', ''],
    ['s3://abc/', 'abc', ''],
    ['s3://abc///', 'abc', ''],
    ['s3://releases//fleets//web/', 'releases', 'fleets/web'],
    ['s3://releases/prod/', 'releases', 'prod'],
    ['S3://releases/prod', 'releases', 'prod'],
    ['s3://releases/Mixed_Case-prefix.v2', 'releases', 'Mixed_Case-prefix.v2'],
    [`s3://${'a'.repeat(63)}/p`, 'a'.repeat(63), 'p'],
  ])('parses %s as bucket %s, prefix %j', (url, bucket, prefix) => {
    expect(parseS3Url(url)).toEqual({ bucket, prefix });
  });

  test.each([
    ['s3://', /bucket name is missing/],
    ['s3:///prefix', /bucket name is missing/],
    ['s3://ab/prefix', /3-63 characters/],
    [`s3://${'a'.repeat(64)}/prefix`, /3-63 characters/],
    ['s3://My-Bucket/prefix', /uppercase/],
    ['s3://my_bucket/prefix', /lowercase letters, digits/],
    ['s3://-bucket/prefix', /start and end with a letter or digit/],
    ['s3://bucket-/prefix', /start and end with a letter or digit/],
    ['s3://my..bucket/prefix', /two dots/],
    ['s3://192.168.1.10/prefix', /IP address/],
    ['s3://bucket/prefix?versionId=1', /query string/],
    ['s3://bucket/prefix#frag', /fragment/],
    ['s3://bucket/a/../b', /'\.' or '\.\.'/],
    ['s3://bucket/./b', /'\.' or '\.\.'/],
    ['s3://bucket/a\nb', /control characters/],
    [`s3://bucket/${'p'.repeat(513)}`, /512 bytes/],
    ['s3:/bucket/prefix', /expected s3:\/\/BUCKET\/PREFIX/],
    ['https://bucket/prefix', /expected s3:\/\/BUCKET\/PREFIX/],
  ])('refuses %j with STORE_URL_INVALID naming the URL and the problem', (url, why) => {
    const error = thrown(() => parseS3Url(url));
    expect(error).toMatchObject({ code: 'STORE_URL_INVALID' });
    expect((error as Error).message).toContain(url);
    expect((error as Error).message).toMatch(why);
  });
});
