/**
 * A bounded least-recently-used map. A `Map` iterates in insertion order, so re-inserting on
 * read keeps the oldest entry first, where eviction takes it.
 */
export class LruCache<V> {
  readonly #entries = new Map<string, V>()
  readonly #max: number
  /** The most recently used key: reading it again needs no reordering (the hot-token case). */
  #newest: string | undefined

  constructor(max: number) {
    this.#max = max
  }

  get size(): number {
    return this.#entries.size
  }

  get(key: string): V | undefined {
    const value = this.#entries.get(key)
    if (value !== undefined && key !== this.#newest) {
      this.#entries.delete(key)
      this.#entries.set(key, value)
      this.#newest = key
    }
    return value
  }

  set(key: string, value: V): void {
    this.#entries.delete(key)
    this.#entries.set(key, value)
    this.#newest = key
    if (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next().value as string
      this.#entries.delete(oldest)
    }
  }

  delete(key: string): void {
    this.#entries.delete(key)
    if (key === this.#newest) this.#newest = undefined
  }

  clear(): void {
    this.#entries.clear()
    this.#newest = undefined
  }
}
