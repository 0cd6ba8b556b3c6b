/**
 * Remembers which webhook deliveries and requests were handled, so a redelivery is not
 * answered twice. In memory and bounded for now; the interface is what a durable or
 * shared store (SQLite, Redis) implements later.
 */
export interface DeliveryJournal {
  seen(key: string): boolean;
  remember(key: string): void;
}

export class MemoryJournal implements DeliveryJournal {
  readonly #keys = new Set<string>();
  readonly #capacity: number;

  constructor(capacity = 20_000) {
    this.#capacity = capacity;
  }

  seen(key: string): boolean {
    return this.#keys.has(key);
  }

  remember(key: string): void {
    this.#keys.delete(key);
    this.#keys.add(key);
    // A Set iterates in insertion order: the first key is the oldest.
    if (this.#keys.size > this.#capacity) {
      const oldest = this.#keys.values().next();
      if (!oldest.done) this.#keys.delete(oldest.value);
    }
  }
}
