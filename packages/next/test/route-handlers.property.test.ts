/**
 * The Next route-handler surface on arbitrary input, called as Next calls it: `withAuth` on any
 * `Authorization` value (and a repeated header, which Fetch joins with ", "), `withSession` and
 * the catch-all's session route on any `Cookie` header around the session cookie and its chunks.
 * No input gets a 5xx. A bearer refusal is RFC 6750 (400/401 JSON with a `Bearer` challenge,
 * never the token echoed); a session refusal is the core's 401 JSON, or a redirect to login for
 * a navigation. The real token and the real session cookie are among the inputs, so the success
 * paths are taken too.
 */
import { type DevIdp, startDevIdp } from '@org/dev-idp'
import {
  authorizationValue,
  cookieHeader,
  expectNoLeak,
  expectOAuthErrorBody,
  RUNS,
} from '@org/test-kit/arbitraries'
import { AUDIENCE, ISSUER, makeKey, sign } from '@org/test-kit/keys'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createNextAuth, type NextAuth } from '../src/index.js'
import { Jar, logIn, loginOptions, ORIGIN } from './helpers.js'

let idp: DevIdp
let nextAuth: NextAuth
let token: string
let session: string
beforeAll(async () => {
  const key = await makeKey('ES256')
  token = await sign(key)
  idp = await startDevIdp()
  nextAuth = createNextAuth({
    ...loginOptions(idp),
    verifier: { issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [key.publicJwk] } },
    realm: 'notes',
  })
  const jar = new Jar()
  await logIn(nextAuth, idp, jar)
  session = jar.header()
  expect(session).toMatch(/^auth\.session=/)
})
afterAll(async () => {
  await idp?.close()
})

const params = { params: Promise.resolve({}) }
const resolve = (input: string | (() => string)) => (typeof input === 'string' ? input : input())

/** A request to `path` with `headers`, or `undefined` for values a Fetch request cannot carry. */
function requestWith(path: string, headers: [string, string][]): Request | undefined {
  try {
    const init = new Headers()
    for (const [name, value] of headers) init.append(name, value)
    return new Request(`${ORIGIN}${path}`, { headers: init })
  } catch {
    return undefined
  }
}

const authorization = fc.oneof(
  { weight: 4, arbitrary: authorizationValue },
  fc.constantFrom('Bearer', 'bearer', 'BEARER ').map((scheme) => () => `${scheme} ${token}`),
  fc.constant(() => `Bearer ${token} ${token}`),
  fc.constant(() => `Bearer ${token.slice(0, -2)}`),
)
const cookie = fc.oneof(
  { weight: 4, arbitrary: cookieHeader('auth.session') },
  fc.constant(() => session),
  cookieHeader('auth.session').map((extra) => () => `${session}; ${extra}`),
)
const navigation = fc.constantFrom<[string, string][]>(
  [],
  [
    ['sec-fetch-mode', 'navigate'],
    ['accept', 'text/html'],
  ],
)

describe('withAuth on any Authorization header', () => {
  const route = () => nextAuth.withAuth((_request, { auth }) => Response.json({ sub: auth.claims.sub }))

  it('200 for the real token sent once, else an RFC 6750 400/401 (never a 5xx)', async () => {
    const handler = route()
    let admitted = 0
    await fc.assert(
      fc.asyncProperty(
        fc.array(authorization, { minLength: 1, maxLength: 2 }),
        fc.option(cookie, { nil: undefined }),
        async (inputs, withCookie) => {
          const sent = inputs.map(resolve)
          const headers = sent.map((value): [string, string] => ['authorization', value])
          if (withCookie !== undefined) headers.push(['cookie', resolve(withCookie)])
          const request = requestWith('/api/notes', headers)
          if (request === undefined) return
          const response = await handler(request, params)
          const text = await response.text()
          if (response.status === 200) {
            expect(request.headers.get('authorization')?.trim().slice(7)).toBe(token)
            expect(JSON.parse(text)).toEqual({ sub: 'alice' })
            admitted++
            return
          }
          expect([400, 401]).toContain(response.status)
          const challenge = response.headers.get('www-authenticate') ?? ''
          expect(challenge).toMatch(/^Bearer realm="notes"/)
          expect(response.headers.get('cache-control')).toBe('no-store')
          expectOAuthErrorBody(JSON.parse(text))
          for (const header of sent) {
            expectNoLeak(text, header.slice(7))
            expectNoLeak(challenge, header.slice(7))
          }
          // Two headers reach the handler as one "a, b" value: never the real token alone.
          if (sent.length > 1) expect(response.status).toBe(400)
        },
      ),
      { numRuns: RUNS.fast },
    )
    expect(admitted).toBeGreaterThan(0) // the success path was taken too
  })
})

/** The core's session refusal: 401 JSON, or a redirect to login for a navigation. */
async function expectSessionRefusal(
  response: Response,
  navigated: boolean,
  location: string,
  description: string,
): Promise<void> {
  expect(response.headers.get('cache-control')).toBe('no-store')
  if (response.status === 302) {
    expect(navigated).toBe(true)
    expect(response.headers.get('location')).toBe(location)
    return
  }
  expect(response.status).toBe(401)
  expect(await response.json()).toEqual({ error: 'unauthorized', error_description: description })
}

describe('the session paths on any Cookie header', () => {
  it('withSession: 200 with the real session, else 401 JSON or a redirect to login (never a 5xx)', async () => {
    const handler = nextAuth.withSession((_request, { auth }) => Response.json({ sub: auth.claims.sub }))
    let admitted = 0
    await fc.assert(
      fc.asyncProperty(
        cookie,
        navigation,
        fc.option(authorization, { nil: undefined }),
        async (input, nav, bearer) => {
          const sent = resolve(input)
          const headers: [string, string][] = [['cookie', sent], ...nav]
          // A bearer token never stands in for the session.
          if (bearer !== undefined) headers.push(['authorization', resolve(bearer)])
          const request = requestWith('/me', headers)
          if (request === undefined) return
          const response = await handler(request, params)
          expect(response.status).toBeLessThan(500)
          if (response.status === 200) {
            expect(sent).toContain(session)
            expect(await response.json()).toEqual({ sub: 'alice' })
            admitted++
            return
          }
          expect(sent).not.toBe(session)
          await expectSessionRefusal(
            response,
            nav.length > 0,
            '/api/auth/login?returnTo=%2Fme',
            'Sign-in required',
          )
        },
      ),
      { numRuns: RUNS.io * 2 },
    )
    expect(admitted).toBeGreaterThan(0)
  })

  it('handlers.GET session route: the user with the real session, else 401 JSON (never a 5xx, never a token)', async () => {
    let admitted = 0
    await fc.assert(
      fc.asyncProperty(cookie, async (input) => {
        const sent = resolve(input)
        const request = requestWith('/api/auth/session', [['cookie', sent]])
        if (request === undefined) return
        const response = await nextAuth.handlers.GET(request)
        const text = await response.text()
        expect(text).not.toMatch(/eyJ/) // no token, and no cookie value echoed
        if (response.status === 200) {
          expect(sent).toContain(session)
          expect(JSON.parse(text)).toMatchObject({ user: { sub: 'alice' } })
          admitted++
          return
        }
        expect(sent).not.toBe(session)
        expect(response.status).toBe(401)
        expect(JSON.parse(text)).toEqual({ error: 'unauthorized', error_description: 'No session' })
        for (const line of response.headers.getSetCookie()) expect(line).toMatch(/Max-Age=0/)
      }),
      { numRuns: RUNS.io * 2 },
    )
    expect(admitted).toBeGreaterThan(0)
  })
})
