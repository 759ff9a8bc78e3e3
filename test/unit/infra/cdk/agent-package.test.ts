import { AgentPackage } from '../../../../infra/cdk/lib/agent-package';

describe('AgentPackage', () => {
  it('points at a key in the release store, with an optional sha256', () => {
    expect(AgentPackage.fromReleaseStore('agent/deploy-agent-0.1.0.tgz', { sha256: 'b'.repeat(64) }).source).toEqual({
      kind: 'release-store',
      key: 'agent/deploy-agent-0.1.0.tgz',
      sha256: 'b'.repeat(64),
    });
  });

  it('points at an https URL', () => {
    expect(AgentPackage.fromUrl('https://example.com/a/deploy-agent.tgz').source).toEqual({ kind: 'url', url: 'https://example.com/a/deploy-agent.tgz' });
  });

  it.each([['/agent/x.tgz'], ['../x.tgz'], ['agent//x.tgz'], ['agent/x.tgz; rm -rf /'], ['']])('refuses the store key %j', (key) => {
    expect(() => AgentPackage.fromReleaseStore(key)).toThrow(/key must be a relative S3 key/);
  });

  it.each([['http://example.com/x.tgz'], ["https://example.com/x.tgz' && curl evil"], ['https://example.com/$(id)'], ['ftp://x']])('refuses the URL %j', (url) => {
    expect(() => AgentPackage.fromUrl(url)).toThrow(/expected an https:\/\/ URL without quotes or spaces/);
  });

  it('refuses a sha256 that is not 64 lowercase hex digits', () => {
    expect(() => AgentPackage.fromUrl('https://example.com/x.tgz', { sha256: 'ABC' })).toThrow(/sha256 must be 64 lowercase hex digits, got "ABC"/);
  });
});
