/**
 * `randomIdentifier` draws its bytes from a pool refilled 2 KiB at a time: every identifier must
 * still be 32 fresh bytes (never two alike across refills), in unpadded base64url.
 */
import { describe, expect, it } from 'vitest'
import { randomIdentifier } from '../src/delegation/index.js'

describe('randomIdentifier', () => {
  it('hands out 32 unused random bytes each time, across many pool refills', () => {
    const seen = new Set<string>()
    for (let i = 0; i < 5000; i++) seen.add(randomIdentifier())
    expect(seen.size).toBe(5000)
    for (const id of seen) expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/)
    // Every byte value turns up at about the rate chance gives it: no slice of the pool is
    // handed out as zeros (a refill skipped) or twice.
    const counts = new Array<number>(256).fill(0)
    for (const id of seen)
      for (const byte of Buffer.from(id, 'base64url')) counts[byte] = (counts[byte] ?? 0) + 1
    const expected = (5000 * 32) / 256
    expect(Math.min(...counts)).toBeGreaterThan(expected * 0.75)
    expect(Math.max(...counts)).toBeLessThan(expected * 1.25)
  })
})
