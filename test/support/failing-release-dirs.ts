import { ReleaseDirs } from '../../agent/deploy/release-dirs';
import type { AgentState } from '../../agent/deploy/agent-state';

/**
 * The agent's real ReleaseDirs (real symlinks, real state.json), whose
 * `current` switch or state.json write fails on cue with ENOSPC, as on a disk
 * that filled up at that moment. Everything else goes to the real disk.
 */
export class FailingReleaseDirs extends ReleaseDirs {
  /** Switching `current` to this version fails (every time, until cleared). */
  failSwitchTo: string | undefined;
  /** A state.json write of a state this accepts fails. */
  failStateWhen: ((state: AgentState) => boolean) | undefined;
  /** The failures thrown so far, for the test to check that its fault did fire. */
  readonly thrown: string[] = [];

  override async switchCurrent(version: string): Promise<void> {
    if (version === this.failSwitchTo) throw this.noSpace(`symlink ${this.currentLink} -> releases/${version}`);
    await super.switchCurrent(version);
  }

  override async writeState(state: AgentState): Promise<void> {
    if (this.failStateWhen?.(state) === true) throw this.noSpace(`write ${this.stateFile}`);
    await super.writeState(state);
  }

  private noSpace(what: string): NodeJS.ErrnoException {
    this.thrown.push(what);
    return Object.assign(new Error(`ENOSPC: no space left on device, ${what}`), { code: 'ENOSPC', errno: -28, syscall: what.split(' ')[0] });
  }
}
