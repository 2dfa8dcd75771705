/**
 * A `Map` that keeps at most `capacity` entries, dropping the least recently used:
 * for caches keyed by what users and models write (schemas, model names), which an
 * editor session would otherwise grow without end.
 */
export class BoundedMap<K, V> {
  readonly #entries = new Map<K, V>();

  constructor(
    readonly capacity: number,
    /** Told about each entry dropped to make room (to free what it holds elsewhere). */
    private readonly onEvict?: (key: K, value: V) => void,
  ) {
    if (!(capacity >= 1)) throw new RangeError(`a bounded map needs a capacity of at least 1, not ${capacity}`);
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The value for `key`, which becomes the most recently used. */
  get(key: K): V | undefined {
    if (!this.#entries.has(key)) return undefined;
    const value = this.#entries.get(key) as V;
    // A Map iterates in insertion order: re-inserting moves the key to the end.
    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  set(key: K, value: V): this {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    while (this.#entries.size > this.capacity) {
      const [oldest, dropped] = this.#entries.entries().next().value as [K, V];
      this.#entries.delete(oldest);
      this.onEvict?.(oldest, dropped);
    }
    return this;
  }

  has(key: K): boolean {
    return this.#entries.has(key);
  }

  delete(key: K): boolean {
    return this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }
}
