/**
 * The `RateLimitStore` contract: the memory, Redis and PostgreSQL counters pass the same cases.
 * Counting must be atomic: 100 concurrent hits get the counts 1 to 100, each once.
 */
import { describe, expect, it } from 'vitest'
import { HOSTILE_KEYS } from './hostile-keys.js'
import type { ContractClock } from './store-contracts.js'

export interface RateLimitStoreLike {
  hit(key: string, windowSeconds: number): Promise<{ count: number; resetAt: number }>
  peek(key: string): Promise<{ count: number; resetAt: number } | undefined>
  reset(key: string): Promise<void>
}

/** Runs the `RateLimitStore` contract against fresh stores from `make`. */
export function rateLimitStoreContract(
  name: string,
  make: () => Promise<RateLimitStoreLike>,
  clock: ContractClock,
): void {
  describe(`RateLimitStore contract: ${name}`, () => {
    it('gives 100 concurrent hits the counts 1 to 100, each once, in one window', async () => {
      const store = await make()
      const results = await Promise.all(Array.from({ length: 100 }, () => store.hit('burst', 60)))
      expect(results.map((result) => result.count).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 100 }, (_, i) => i + 1),
      )
      expect(new Set(results.map((result) => result.resetAt)).size).toBe(1)
      const seconds = clock.now() / 1000
      expect(results[0]?.resetAt).toBeGreaterThan(seconds + 58)
      expect(results[0]?.resetAt).toBeLessThanOrEqual(Math.ceil(seconds) + 61)
      await expect(store.hit('other', 60)).resolves.toMatchObject({ count: 1 })
    })

    it('starts again from one when the window ends', async () => {
      const store = await make()
      await store.hit('w', 1)
      const second = await store.hit('w', 1)
      expect(second.count).toBe(2)
      await clock.advance(Math.max(0, second.resetAt * 1000 - clock.now()) + 150)
      const next = await store.hit('w', 1)
      expect(next.count).toBe(1)
      expect(next.resetAt).toBeGreaterThan(second.resetAt - 1)
    })

    it('forgets a key on reset, and only that key', async () => {
      const store = await make()
      await store.hit('a', 60)
      await store.hit('a', 60)
      await store.hit('b', 60)
      await store.reset('a')
      await expect(store.hit('a', 60)).resolves.toMatchObject({ count: 1 })
      await expect(store.hit('b', 60)).resolves.toMatchObject({ count: 2 })
      await expect(store.reset('never-hit')).resolves.toBeUndefined()
    })

    it('peeks at a count without counting, and sees nothing once reset or ended', async () => {
      const store = await make()
      await expect(store.peek('p')).resolves.toBeUndefined()
      await store.hit('p', 1)
      const second = await store.hit('p', 1)
      await expect(store.peek('p')).resolves.toEqual(second)
      await expect(store.peek('p')).resolves.toEqual(second)
      await expect(store.peek('unrelated')).resolves.toBeUndefined()
      await clock.advance(Math.max(0, second.resetAt * 1000 - clock.now()) + 150)
      await expect(store.peek('p')).resolves.toBeUndefined()
      await store.hit('q', 60)
      await store.reset('q')
      await expect(store.peek('q')).resolves.toBeUndefined()
      for (const key of HOSTILE_KEYS) await store.hit(key, 60)
      for (const key of HOSTILE_KEYS) await expect(store.peek(key), key).resolves.toMatchObject({ count: 1 })
    })

    it('peeks concurrently with hits and never sees a count that was not given', async () => {
      const store = await make()
      const [hits, peeks] = await Promise.all([
        Promise.all(Array.from({ length: 50 }, () => store.hit('mixed', 60))),
        Promise.all(Array.from({ length: 50 }, () => store.peek('mixed'))),
      ])
      const given = new Set(hits.map((hit) => hit.count))
      for (const peeked of peeks) if (peeked !== undefined) expect(given.has(peeked.count)).toBe(true)
      await expect(store.peek('mixed')).resolves.toMatchObject({ count: 50 })
    })

    it('counts unicode, SQL metacharacters, NUL bytes and lone surrogates apart', async () => {
      const store = await make()
      for (const key of HOSTILE_KEYS)
        await expect(store.hit(key, 60), key).resolves.toMatchObject({ count: 1 })
      for (const key of HOSTILE_KEYS)
        await expect(store.hit(key, 60), key).resolves.toMatchObject({ count: 2 })
    })

    it('refuses a window that is not a whole number of seconds ≥ 1', async () => {
      const store = await make()
      for (const window of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
        await expect(store.hit('bad-window', window), String(window)).rejects.toMatchObject({
          code: 'ERR_INVALID_OPTION',
        })
      }
    })
  })
}
