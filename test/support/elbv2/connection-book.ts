import type { RegisteredTarget } from './registered-target';

/**
 * The open connections the listener holds to each target, as functions that cut them. Lets the
 * emulator cut a target's connections when its deregistration delay ends, and every connection
 * on stop.
 */
export class ConnectionBook {
  private readonly byTarget = new Map<RegisteredTarget, Set<() => void>>();

  /** Records a connection to `target`; returns the function that forgets it (without cutting). */
  add(target: RegisteredTarget, cut: () => void): () => void {
    let cuts = this.byTarget.get(target);
    if (!cuts) {
      cuts = new Set();
      this.byTarget.set(target, cuts);
    }
    const set = cuts;
    set.add(cut);
    return () => {
      set.delete(cut);
      if (set.size === 0 && this.byTarget.get(target) === set) this.byTarget.delete(target);
    };
  }

  /** How many connections to `target` are open. */
  count(target: RegisteredTarget): number {
    return this.byTarget.get(target)?.size ?? 0;
  }

  /** Cuts every connection to `target`. */
  cut(target: RegisteredTarget): void {
    const cuts = [...(this.byTarget.get(target) ?? [])];
    this.byTarget.delete(target);
    for (const cut of cuts) cut();
  }

  cutAll(): void {
    for (const target of [...this.byTarget.keys()]) this.cut(target);
  }
}
