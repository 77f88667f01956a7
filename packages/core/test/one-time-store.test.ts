import { describe, expect, it } from 'vitest'
import { MemoryOneTimeStore } from '../src/index.js'
import { resolveConfig } from '../src/web/auth-config.js'

describe('MemoryOneTimeStore', () => {
  it('answers true to exactly one of 100 concurrent consumers of a key', async () => {
    const store = new MemoryOneTimeStore()
    const until = Math.floor(Date.now() / 1000) + 60
    const results = await Promise.all(Array.from({ length: 100 }, () => store.consume('k', until)))
    expect(results.filter(Boolean)).toHaveLength(1)
    expect(await store.consume('other', until)).toBe(true)
  })

  it('lets a key be consumed again once it has expired', async () => {
    let now = 1_900_000_000_000
    const store = new MemoryOneTimeStore({ now: () => now })
    expect(await store.consume('k', 1_900_000_010)).toBe(true)
    now += 9_000
    expect(await store.consume('k', 1_900_000_020)).toBe(false)
    now += 1_000
    expect(await store.consume('k', 1_900_000_030)).toBe(true)
  })

  it('when full, drops expired keys, and refuses (503) rather than forget an unexpired one', async () => {
    let now = 1_900_000_000_000
    const store = new MemoryOneTimeStore({ maxEntries: 2, now: () => now })
    expect(await store.consume('a', 1_900_000_005)).toBe(true)
    expect(await store.consume('b', 1_900_000_100)).toBe(true)
    await expect(store.consume('c', 1_900_000_100)).rejects.toMatchObject({
      code: 'ERR_ONE_TIME_STORE_FULL',
      status: 503,
    })
    now += 10_000 // 'a' has expired: its room is taken again
    expect(await store.consume('c', 1_900_000_100)).toBe(true)
    expect(await store.consume('b', 1_900_000_200)).toBe(false)
  })
})

describe('MemoryOneTimeStore with whenFull: evict', () => {
  it('forgets the oldest key instead of refusing', async () => {
    const store = new MemoryOneTimeStore({ maxEntries: 2, whenFull: 'evict' })
    const until = Math.floor(Date.now() / 1000) + 60
    for (const key of ['a', 'b', 'c']) expect(await store.consume(key, until)).toBe(true)
    expect(await store.consume('c', until)).toBe(false)
    expect(await store.consume('b', until)).toBe(false)
    expect(await store.consume('a', until)).toBe(true) // the oldest was forgotten
  })

  it('refuses an unknown whenFull', () => {
    expect(() => new MemoryOneTimeStore({ whenFull: 'drop' as never })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    )
  })
})

describe('createAuth: callback states beside refresh claims', () => {
  const session = { secrets: 'a-test-secret-that-is-long-enough-0123456789' }
  it('keeps callback states in a store of their own by default, so a flood of callbacks cannot starve refreshes', () => {
    const config = resolveConfig({ issuer: 'https://idp.example', clientId: 'c', session })
    expect(config.callbackStore).not.toBe(config.oneTimeStore)
  })

  it('uses the one store given for both (a shared store expires keys by itself)', () => {
    const shared = new MemoryOneTimeStore()
    const config = resolveConfig({
      issuer: 'https://idp.example',
      clientId: 'c',
      session,
      oneTimeStore: shared,
    })
    expect(config.callbackStore).toBe(shared)
    expect(config.oneTimeStore).toBe(shared)
  })
})
