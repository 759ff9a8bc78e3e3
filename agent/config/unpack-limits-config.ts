/** The `limits` section as the agent runs with it. */
export interface UnpackLimitsConfig {
  readonly maxArtifactBytes: number;
  readonly maxUnpackedBytes: number;
  readonly maxFiles: number;
}
