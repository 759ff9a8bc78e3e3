import type { AgentPackageSource } from './agent-package';

export interface AgentUserDataOptions {
  /** Where the agent tarball comes from. */
  readonly agentPackage: AgentPackageSource;
  /** The release bucket's name (may be a token). */
  readonly bucketName: string;
  /** The store's key prefix. */
  readonly prefix: string;
  /** The stack's region (may be a token). */
  readonly region: string;
  readonly appPort: number;
  readonly targetGroupArn: string;
  readonly maxUnavailable: number;
  readonly workers: number | 'auto';
}

const TARBALL = '/root/deploy-agent.tgz';

/**
 * Boot script of an instance (Amazon Linux 2023): Node.js 24 LTS, the agent
 * tarball, then the tarball's own infra/install.sh, which creates the user,
 * writes /etc/deploy-agent/config.json and enables and starts the unit.
 * Values are tokens or validated props; none needs shell quoting.
 */
export function agentUserDataCommands(options: AgentUserDataOptions): string[] {
  const source = options.agentPackage;
  const download =
    source.kind === 'release-store'
      ? `aws s3 cp --only-show-errors --region ${options.region} s3://${options.bucketName}/${options.prefix}/${source.key} ${TARBALL}`
      : `curl --fail --silent --show-error --location --retry 5 --output ${TARBALL} '${source.url}'`;
  return [
    'set -euo pipefail',
    'dnf install -y nodejs24 nodejs24-npm',
    // The agent's bin starts with `#!/usr/bin/env -S node <V8 flags>`: pin Node 24 whatever `alternatives` selects.
    'ln -sfn /usr/bin/node-24 /usr/local/bin/node',
    download,
    ...(source.sha256 === undefined ? [] : [`echo '${source.sha256}  ${TARBALL}' | sha256sum --check --strict -`]),
    'install_dir=$(mktemp -d)',
    `tar -xzf ${TARBALL} -C "$install_dir" package/infra/install.sh`,
    [
      `NPM=npm-24 bash "$install_dir/package/infra/install.sh" --tarball ${TARBALL}`,
      `--store s3://${options.bucketName}/${options.prefix}`,
      `--port ${options.appPort}`,
      `--workers ${options.workers}`,
      `--region ${options.region}`,
      `--target-group-arn ${options.targetGroupArn}`,
      `--max-unavailable ${options.maxUnavailable}`,
    ].join(' '),
  ];
}
