import os from 'node:os';
import { createdBy } from '../../../../cli/publish/created-by';

describe('createdBy', () => {
  it('prefers DEPLOYCTL_CREATED_BY', () => {
    expect(createdBy({ DEPLOYCTL_CREATED_BY: 'release-bot', GITHUB_ACTIONS: 'true' })).toBe('release-bot');
  });

  it.each([
    [{ GITHUB_ACTIONS: 'true', GITHUB_REPOSITORY: 'acme/shop', GITHUB_RUN_ID: '991' }, 'github:acme/shop#991'],
    [{ GITLAB_CI: 'true', CI_PROJECT_PATH: 'acme/shop', CI_PIPELINE_ID: '12' }, 'gitlab:acme/shop#12'],
    [{ BUILDKITE: 'true', BUILDKITE_PIPELINE_SLUG: 'shop', BUILDKITE_BUILD_NUMBER: '7' }, 'buildkite:shop#7'],
    [{ CIRCLECI: 'true', CIRCLE_PROJECT_USERNAME: 'acme', CIRCLE_PROJECT_REPONAME: 'shop', CIRCLE_BUILD_NUM: '5' }, 'circleci:acme/shop#5'],
  ])('names the CI run for %j', (env, expected) => {
    expect(createdBy(env)).toBe(expected);
  });

  it('falls back to user@host', () => {
    expect(createdBy({})).toBe(`${os.userInfo().username}@${os.hostname()}`);
  });
});
