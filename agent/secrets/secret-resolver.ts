/**
 * Resolves a release's secret references (manifest `secrets`: KEY →
 * `ssm:/path`) to their values, in memory only: values never go to disk, the
 * store, a log line, a report or a control-socket answer.
 */
export interface SecretResolver {
  /** KEY → value for every reference; throws SECRET_NOT_FOUND / SECRET_ACCESS_DENIED / SECRETS_UNAVAILABLE. */
  resolve(references: Readonly<Record<string, string>>): Promise<Record<string, string>>;
}
