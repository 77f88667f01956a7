/**
 * The open sign-in routes, limited per address: every request counted before any work, atomically,
 * so neither a sequence nor a burst gets past the limit; other addresses are unaffected.
 */
import { MemoryRateLimitStore, SessionError } from '@org/auth-core'
import { describe, expect, it } from 'vitest'
import { createPasskeyHandler } from '../src/index.js'
import { localParty } from './helpers.js'

const ORIGIN = 'http://localhost:3000'

function setup(perAddress = 3) {
  const passkeys = localParty(ORIGIN)
  const handler = createPasskeyHandler(passkeys, {
    getUser: () => undefined,
    rateLimit: {
      store: new MemoryRateLimitStore(),
      // Behind the test's "proxy": the address it forwards.
      clientAddress: (request) => request.headers.get('x-client-ip') ?? undefined,
      perAddress,
      windowSeconds: 60,
    },
  })
  const post = (path: string, ip: string | undefined, body?: unknown) =>
    handler(
      new Request(`${ORIGIN}/passkeys${path}`, {
        method: 'POST',
        headers: {
          'sec-fetch-site': 'same-origin',
          ...(ip === undefined ? {} : { 'x-client-ip': ip }),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    )
  return { post }
}

describe('rateLimit', () => {
  it('answers 429 with Retry-After past the limit, for options and verify alike, per address', async () => {
    const { post } = setup(3)
    for (let i = 0; i < 2; i++) expect((await post('/authenticate/options', '203.0.113.7')).status).toBe(200)
    // A failed verification counts too (a malformed answer: 400).
    expect((await post('/authenticate/verify', '203.0.113.7', { id: 'x' })).status).toBe(400)
    const refused = await post('/authenticate/options', '203.0.113.7')
    expect(refused.status).toBe(429)
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(60)
    expect(await refused.json()).toMatchObject({ error: 'ERR_PASSKEY_RATE_LIMITED' })
    expect((await post('/authenticate/verify', '203.0.113.7', { id: 'x' })).status).toBe(429)
    // Another address has its own count; a request with no address is not counted.
    expect((await post('/authenticate/options', '198.51.100.2')).status).toBe(200)
    expect((await post('/authenticate/options', undefined)).status).toBe(200)
  })

  it('lets exactly the limit through from a burst of 40 concurrent requests', async () => {
    const { post } = setup(5)
    const statuses = await Promise.all(
      Array.from({ length: 40 }, () => post('/authenticate/options', '203.0.113.9').then((r) => r.status)),
    )
    expect(statuses.filter((status) => status === 200)).toHaveLength(5)
    expect(statuses.filter((status) => status === 429)).toHaveLength(35)
  })

  it('refuses (503 with Retry-After), never lets through, while the counter store is down', async () => {
    const passkeys = localParty(ORIGIN)
    const down = {
      hit: async () => {
        throw new SessionError('ERR_SESSION_STORE_UNAVAILABLE', 'The store is down', 503)
      },
      peek: async () => undefined,
      reset: async () => {},
    }
    const handler = createPasskeyHandler(passkeys, {
      getUser: () => undefined,
      rateLimit: { store: down, clientAddress: () => '203.0.113.1' },
    })
    const response = await handler(
      new Request(`${ORIGIN}/passkeys/authenticate/options`, {
        method: 'POST',
        headers: { 'sec-fetch-site': 'same-origin' },
      }),
    )
    expect(response.status).toBe(503)
    expect(response.headers.get('retry-after')).not.toBeNull()
    expect(await response.json()).not.toHaveProperty('challenge')
  })

  it('is checked when the handler is made', () => {
    const passkeys = {} as never
    const store = new MemoryRateLimitStore()
    const clientAddress = () => 'a'
    expect(() =>
      createPasskeyHandler(passkeys, {
        getUser: () => undefined,
        rateLimit: { store, clientAddress, perAddress: 0 },
      }),
    ).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }))
    expect(() =>
      createPasskeyHandler(passkeys, {
        getUser: () => undefined,
        rateLimit: { store: {} as never, clientAddress },
      }),
    ).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }))
  })
})
