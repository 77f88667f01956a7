/**
 * requireAuth (Hono) end to end, in memory, on arbitrary `Authorization` values: through the Fetch
 * headers (`app.request()`), and through the raw Node headers `@hono/node-server` hands over in
 * `c.env.incoming` (repeated headers included). Every refusal is RFC 6750: 400/401 JSON with a
 * `Bearer` challenge, never a 5xx, never the token echoed.
 */
import { createTokenVerifier, type TokenVerifier } from '@org/auth-core'
import { authorizationValue, expectNoLeak, expectOAuthErrorBody, RUNS } from '@org/test-kit/arbitraries'
import { AUDIENCE, ISSUER, makeKey, sign } from '@org/test-kit/keys'
import fc from 'fast-check'
import { Hono } from 'hono'
import { beforeAll, describe, expect, it } from 'vitest'
import { type AuthenticatedEnv, requireAuth } from '../src/index.js'

let verifier: TokenVerifier
let token: string

beforeAll(async () => {
  const key = await makeKey('ES256')
  verifier = createTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [key.publicJwk] } })
  token = await sign(key)
})

function app(throwHttpException = false) {
  const hono = new Hono<AuthenticatedEnv>()
  hono.use('/api/*', requireAuth(verifier, { realm: 'api', throwHttpException }))
  hono.get('/api/me', (c) => c.json({ sub: c.var.auth.claims.sub }))
  hono.onError((error) => {
    const response = (error as { getResponse?: () => Response }).getResponse?.()
    return response ?? new Response('boom', { status: 500 })
  })
  return hono
}

/** Some values with the real token inside, so a success path is taken too. */
const value = fc.oneof(
  { weight: 4, arbitrary: authorizationValue },
  fc.constantFrom('Bearer', 'bearer', 'BEARER ').map((scheme) => () => `${scheme} ${token}`),
  fc.constant(() => `Bearer ${token} ${token}`),
  fc.constant(() => `Bearer ${token.slice(0, -2)}`),
)
const resolve = (input: string | (() => string)) => (typeof input === 'string' ? input : input())

async function expectRfc6750(response: Response, sent: readonly string[]) {
  if (response.status === 200) {
    expect(await response.json()).toEqual({ sub: 'alice' })
    return
  }
  expect([400, 401]).toContain(response.status)
  expect(response.headers.get('www-authenticate')).toMatch(/^Bearer( |$)/)
  const text = await response.text()
  expectOAuthErrorBody(JSON.parse(text))
  for (const header of sent) {
    const secret = header.slice(7)
    expectNoLeak(text, secret)
    expectNoLeak(response.headers.get('www-authenticate') ?? '', secret)
  }
}

describe('requireAuth (Hono) on any Authorization header', () => {
  it('app.request(): 200 for the real token, else an RFC 6750 400/401', async () => {
    await fc.assert(
      fc.asyncProperty(value, fc.boolean(), async (input, throwing) => {
        const header = resolve(input)
        let headers: Headers
        try {
          headers = new Headers({ authorization: header })
        } catch {
          return // not a value a Fetch request can carry
        }
        const response = await app(throwing).request('/api/me', { headers })
        await expectRfc6750(response, [header])
        if (response.status === 200) expect(header.trim().slice(7)).toBe(token)
      }),
      { numRuns: RUNS.fast },
    )
  })

  it('raw Node headers (as on @hono/node-server), repeated ones refused as ambiguous', async () => {
    const name = fc.constantFrom('Authorization', 'authorization', 'AUTHORIZATION', 'X-Other')
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(name, value), { maxLength: 3 }), async (pairs) => {
        const raw = pairs.flatMap(([n, v]) => [n, resolve(v)])
        const sent = pairs.filter(([n]) => n.toLowerCase() === 'authorization').map(([, v]) => resolve(v))
        const response = await app().request('/api/me', {}, { incoming: { rawHeaders: raw } })
        await expectRfc6750(response, sent)
        if (sent.length !== 1) expect(response.status).not.toBe(200)
      }),
      { numRuns: RUNS.fast },
    )
  })
})
