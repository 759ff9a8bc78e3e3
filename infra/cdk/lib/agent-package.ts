/** Where instances download the deploy-agent tarball (the output of infra/pack-agent.sh) from. */
export type AgentPackageSource =
  | { readonly kind: 'release-store'; readonly key: string; readonly sha256?: string }
  | { readonly kind: 'url'; readonly url: string; readonly sha256?: string };

export interface AgentPackageOptions {
  /** Hex SHA-256 of the tarball; the instance refuses a download that does not match. @default - not checked */
  readonly sha256?: string;
}

const SHA256_PATTERN = /^[0-9a-f]{64}$/;
const KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;

/**
 * The deploy-agent tarball the instances install at boot. Prefer
 * `fromReleaseStore`: the instances can already read the release prefix, and
 * a tarball from infra/pack-agent.sh needs no npm registry.
 */
export class AgentPackage {
  /**
   * A tarball in the release store, at `s3://BUCKET/PREFIX/<key>`
   * (upload it with `aws s3 cp deploy-agent-0.1.0.tgz s3://BUCKET/PREFIX/<key>`).
   */
  static fromReleaseStore(key: string, options: AgentPackageOptions = {}): AgentPackage {
    if (!KEY_PATTERN.test(key)) throw new Error(`AgentPackage.fromReleaseStore: key must be a relative S3 key like 'agent/deploy-agent.tgz', got ${JSON.stringify(key)}`);
    return new AgentPackage({ kind: 'release-store', key, ...checkedSha(options) });
  }

  /** A tarball at an https:// URL (an npm registry tarball URL also works when the instances can reach the registry). */
  static fromUrl(url: string, options: AgentPackageOptions = {}): AgentPackage {
    if (!/^https:\/\/[^\s'"`$\\]+$/.test(url)) throw new Error(`AgentPackage.fromUrl: expected an https:// URL without quotes or spaces, got ${JSON.stringify(url)}`);
    return new AgentPackage({ kind: 'url', url, ...checkedSha(options) });
  }

  private constructor(readonly source: AgentPackageSource) {}
}

function checkedSha(options: AgentPackageOptions): { sha256?: string } {
  if (options.sha256 === undefined) return {};
  if (!SHA256_PATTERN.test(options.sha256)) throw new Error(`AgentPackage: sha256 must be 64 lowercase hex digits, got ${JSON.stringify(options.sha256)}`);
  return { sha256: options.sha256 };
}
