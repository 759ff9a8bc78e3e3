import type { Scenario, ToolName } from './bench-config';

/** What one run needs to start the app: where, how many workers, which fixture modes. */
export interface StartSpec {
  readonly port: number;
  readonly workers: number;
  readonly scenario: Scenario;
  /** An empty directory of this run, removed afterwards. */
  readonly workDir: string;
}

export interface RollOutcome {
  /** The tool's roll time; null when the roll did not complete. */
  readonly rollMs: number | null;
  /** Peak RSS of the primary (deployctl runner / pm2 God daemon) during the roll, MB. */
  readonly rssMb: number;
  /** One line for the progress log. */
  readonly note: string;
}

/** The app running on v1 under one tool. */
export interface RunningApp {
  /** Rolls to v2 (the scenario's new mode). */
  roll(): Promise<RollOutcome>;
  /** Stops the app and everything the tool started; safe to call after a failure. */
  stop(): Promise<void>;
}

/** One column of the comparison: a tool with its settings. */
export interface ToolVariant {
  readonly tool: ToolName;
  readonly maxSurge: number;
  start(spec: StartSpec): Promise<RunningApp>;
}
