import { describe, expect, it } from 'vitest'
import { LruCache } from '../src/lib/lru.js'

describe('LruCache', () => {
  it('evicts the least recently used entry, counting reads of the newest entry too', () => {
    const lru = new LruCache<number>(3)
    lru.set('a', 1)
    lru.set('b', 2)
    lru.set('c', 3)
    expect(lru.get('a')).toBe(1) // a is newest now: b is the oldest
    expect(lru.get('a')).toBe(1) // a read again while newest: nothing moves
    lru.set('d', 4)
    expect(lru.get('b')).toBeUndefined()
    expect([lru.get('c'), lru.get('a'), lru.get('d')]).toEqual([3, 1, 4])
    lru.set('e', 5) // c was read first of the three: it is the oldest
    expect(lru.get('c')).toBeUndefined()
    expect(lru.size).toBe(3)
  })

  it('forgets the newest key when it is deleted or cleared, so a later read reorders again', () => {
    const lru = new LruCache<number>(2)
    lru.set('a', 1)
    lru.set('b', 2)
    lru.delete('b')
    lru.set('b', 2)
    expect(lru.get('a')).toBe(1) // a becomes newest: b is evicted by the next set
    lru.set('c', 3)
    expect(lru.get('b')).toBeUndefined()
    lru.clear()
    expect(lru.size).toBe(0)
    lru.set('x', 1)
    lru.set('y', 2)
    expect(lru.get('x')).toBe(1)
    lru.set('z', 3)
    expect([lru.get('x'), lru.get('y'), lru.get('z')]).toEqual([1, undefined, 3])
  })
})
