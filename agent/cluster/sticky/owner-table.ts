/**
 * Which worker owns each routing key (engine.io sid or client address), at
 * most `maxKeys` of them: past that the oldest entry goes (a Map keeps
 * insertion order). An entry also goes when its worker exits.
 */
export class OwnerTable {
  private readonly owners = new Map<string, number>();

  constructor(private readonly maxKeys: number) {}

  get(key: string): number | undefined {
    return this.owners.get(key);
  }

  set(key: string, workerId: number): void {
    this.owners.delete(key);
    this.owners.set(key, workerId);
    if (this.owners.size > this.maxKeys) {
      const oldest = this.owners.keys().next().value;
      if (oldest !== undefined) this.owners.delete(oldest);
    }
  }

  /** Forgets every key of a worker that is gone. */
  dropWorker(workerId: number): void {
    for (const [key, id] of this.owners) if (id === workerId) this.owners.delete(key);
  }

  get size(): number {
    return this.owners.size;
  }
}
