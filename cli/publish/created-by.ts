import os from 'node:os';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Who pushed a release, for the manifest's `createdBy`: DEPLOYCTL_CREATED_BY
 * when set, else the CI run (GitHub Actions, GitLab CI, Buildkite, CircleCI),
 * else `user@host`.
 */
export function createdBy(env: Env): string {
  const explicit = env['DEPLOYCTL_CREATED_BY']?.trim();
  if (explicit) return explicit;
  return ciRun(env) ?? `${userName(env)}@${os.hostname()}`;
}

function ciRun(env: Env): string | undefined {
  if (env['GITHUB_ACTIONS'] === 'true') return `github:${env['GITHUB_REPOSITORY'] ?? '?'}#${env['GITHUB_RUN_ID'] ?? '?'}`;
  if (env['GITLAB_CI'] === 'true') return `gitlab:${env['CI_PROJECT_PATH'] ?? '?'}#${env['CI_PIPELINE_ID'] ?? '?'}`;
  if (env['BUILDKITE'] === 'true') return `buildkite:${env['BUILDKITE_PIPELINE_SLUG'] ?? '?'}#${env['BUILDKITE_BUILD_NUMBER'] ?? '?'}`;
  if (env['CIRCLECI'] === 'true') {
    return `circleci:${env['CIRCLE_PROJECT_USERNAME'] ?? '?'}/${env['CIRCLE_PROJECT_REPONAME'] ?? '?'}#${env['CIRCLE_BUILD_NUM'] ?? '?'}`;
  }
  return undefined;
}

function userName(env: Env): string {
  try {
    return os.userInfo().username;
  } catch {
    // No passwd entry (e.g. an arbitrary uid in a container).
    return env['USER'] ?? env['LOGNAME'] ?? 'unknown';
  }
}
