/**
 * createAuth on hostile browser input, against a scripted authorization server on 127.0.0.1:
 * arbitrary `Cookie` headers (session chunks, sealed values, transaction cookies), arbitrary
 * callback query strings and form_post bodies, and arbitrary `returnTo` values, checked on the
 * `Location` that finally leaves. Nothing may throw past the handler, answer 5xx, or echo a value.
 */

import {
  b64urlSegment,
  canary,
  cookieHeader,
  cookieValue,
  expectClientError,
  expectNoLeak,
  expectOAuthErrorBody,
  headerValue,
  oddJson,
  RUNS,
} from '@org/test-kit/arbitraries'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Auth, createAuth, isAuthError } from '../src/index.js'
import { firstCookieValue, parseCookies, readChunked } from '../src/web/cookies.js'
import { createSealer } from '../src/web/seal.js'
import { type CodeFlowServer, startCodeFlowServer } from './helpers/code-flow-server.js'
import { APP_ORIGIN, SECRET } from './helpers/web-login.js'

const COOKIE = 'auth.session'
let cf: CodeFlowServer
let auth: Auth
let formPostAuth: Auth

beforeAll(async () => {
  cf = await startCodeFlowServer()
  auth = createAuth({ client: cf.client(), basePath: '/', session: { secrets: SECRET } })
  formPostAuth = createAuth({
    client: cf.client(),
    basePath: '/',
    session: { secrets: SECRET },
    authorizationParams: { response_mode: 'form_post' },
  })
})
afterAll(async () => {
  await cf.close()
})

// RFC 6265 cookie-name token and cookie-octet: what parseCookies may hand on.
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const COOKIE_OCTETS = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/

/** A real login up to the callback URL: the transaction cookie and the authorization request. */
async function startLogin(target: Auth, returnTo?: string) {
  const query = returnTo === undefined ? '' : `?returnTo=${encodeURIComponent(returnTo)}`
  const login = await target.handler(new Request(`${APP_ORIGIN}/login${query}`))
  expect(login.status).toBe(302)
  const authorize = new URL(login.headers.get('location') as string)
  const cookie = login.headers
    .getSetCookie()
    .map((line) => line.split(';', 1)[0])
    .join('; ')
  return {
    cookie,
    state: authorize.searchParams.get('state') as string,
    nonce: authorize.searchParams.get('nonce') as string,
  }
}

/** Scripts the token endpoint to answer a valid login for `nonce`. */
function answerLogin(nonce: string) {
  cf.answer(async () => ({
    access_token: 'at-1',
    token_type: 'Bearer',
    expires_in: 300,
    id_token: await cf.idToken({ nonce }),
  }))
}

/** The answer of a route: never 5xx, an error page or JSON carrying an ERR_ code when it refuses. */
async function expectHandled(response: Response, ...secrets: string[]): Promise<string> {
  expect(response.status).toBeLessThan(500)
  const body = await response.text()
  if (response.status >= 400 && response.status !== 404) {
    // The error page and JSON name the stable code; the session route's 401 is a plain RFC 6750 body.
    if (!/ERR_[A-Z_]+/.test(body)) expectOAuthErrorBody(JSON.parse(body))
  }
  expectNoLeak(body, ...secrets)
  for (const line of response.headers.getSetCookie()) expectNoLeak(line, ...secrets)
  return body
}

describe('parseCookies / readChunked on any Cookie header', () => {
  it('keep only RFC 6265 names and values, first one wins, and never throw', () => {
    fc.assert(
      fc.property(
        fc.oneof(cookieHeader(COOKIE), fc.string({ maxLength: 80 })),
        fc.integer({ min: 1, max: 6 }),
        (header, max) => {
          const cookies = parseCookies(header)
          for (const [name, value] of cookies) {
            expect(name).toMatch(COOKIE_NAME)
            expect(value).toMatch(COOKIE_OCTETS)
          }
          const value = readChunked(cookies, COOKIE, max)
          expect(value === undefined || value.length > 0).toBe(true)
          if (value !== undefined && !cookies.get(COOKIE)) {
            // A chunked value is the concatenation of name.0, name.1... up to the first gap.
            let expected = ''
            for (let i = 0; i < max && cookies.has(`${COOKIE}.${i}`); i++)
              expected += cookies.get(`${COOKIE}.${i}`)
            expect(value).toBe(expected)
          }
        },
      ),
      { numRuns: RUNS.fast * 3 },
    )
  })
})

describe('firstCookieValue on any Cookie header', () => {
  it('gives a valid value only when parseCookies gives the same one (the unseal cache hit is safe)', () => {
    fc.assert(
      fc.property(fc.oneof(cookieHeader(COOKIE), fc.string({ maxLength: 80 })), (header) => {
        const first = firstCookieValue(header, COOKIE)
        const parsed = parseCookies(header).get(COOKIE)
        if (first !== undefined && COOKIE_OCTETS.test(first)) expect(parsed).toBe(first)
        if (first === undefined) expect(parsed).toBeUndefined()
      }),
      { numRuns: RUNS.fast * 3 },
    )
  })
})

describe('sessions from any Cookie header', () => {
  let sealedSession: string

  beforeAll(async () => {
    const sealer = createSealer([SECRET], 'session')
    const now = Math.floor(Date.now() / 1000)
    sealedSession = await sealer.seal(
      {
        session: {
          id: 's',
          user: { sub: 'alice' },
          tokens: { accessToken: 'at' },
          createdAt: now,
          expiresAt: now + 600,
        },
      },
      now + 600,
    )
  })

  /** Cookie headers around a real sealed session: chunked, truncated, doubled, with junk chunks. */
  const aroundRealSession = fc
    .tuple(fc.integer({ min: 1, max: 5 }), fc.nat(), fc.array(cookieValue, { maxLength: 2 }), fc.boolean())
    .map(([parts, cut, junk, plainToo]) => ({ parts, cut, junk, plainToo }))

  function chunkedHeader({
    parts,
    cut,
    junk,
    plainToo,
  }: {
    parts: number
    cut: number
    junk: string[]
    plainToo: boolean
  }) {
    const size = Math.ceil(sealedSession.length / parts)
    const chunks = Array.from({ length: parts }, (_, i) => sealedSession.slice(i * size, (i + 1) * size))
    if (cut % 3 === 0) chunks[cut % parts] = (chunks[cut % parts] as string).slice(1)
    const lines = chunks.map((chunk, i) => `${COOKIE}.${i}=${chunk}`)
    for (const [i, value] of junk.entries()) lines.push(`${COOKIE}.${parts + i}=${value}`)
    if (plainToo) lines.push(`${COOKIE}=${junk[0] ?? ''}`)
    return lines.join('; ')
  }

  it('resolveSession and getSession answer a session or null, never throw', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(cookieHeader(COOKIE), aroundRealSession.map(chunkedHeader)),
        async (header) => {
          const request = new Request(`${APP_ORIGIN}/`, { headers: { cookie: header } })
          const resolved = await auth.resolveSession(request)
          expect(resolved.session === null || resolved.session.user.sub === 'alice').toBe(true)
          if (resolved.session === null) {
            // Leftovers are only ever deleted, never rewritten from unauthenticated input.
            for (const line of resolved.cookies) expect(line).toMatch(/Max-Age=0/)
          }
          const peeked = await auth.getSession(request)
          expect(peeked?.user.sub).toBe(resolved.session?.user.sub)
        },
      ),
      { numRuns: RUNS.io * 2 },
    )
  })

  it('every route answers arbitrary cookies without a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/session', '/logout', '/login', '/callback', '/nowhere'),
        fc.constantFrom('GET', 'POST', 'PUT'),
        fc.oneof(cookieHeader(COOKIE), aroundRealSession.map(chunkedHeader)),
        async (path, method, cookie) => {
          const headers: Record<string, string> = {
            cookie,
            'sec-fetch-site': 'same-origin',
            accept: 'application/json',
          }
          const response = await auth.handler(new Request(`${APP_ORIGIN}${path}`, { method, headers }))
          await expectHandled(response)
        },
      ),
      { numRuns: RUNS.io },
    )
  })
})

describe('the callback route on arbitrary authorization responses', () => {
  const param = fc.oneof(
    fc.constantFrom(
      'code',
      'state',
      'iss',
      'error',
      'error_description',
      'session_state',
      'id_token',
      'response',
    ),
    fc.string({ maxLength: 10 }),
  )
  const paramValue = fc.oneof(canary, headerValue, fc.string({ maxLength: 30 }), b64urlSegment)

  it('GET with any query, with or without a live transaction: a 302 login or a typed 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(param, paramValue), { maxLength: 6 }),
        fc.boolean(),
        fc.oneof(fc.constant(''), headerValue, fc.string({ maxLength: 20 })),
        async (pairs, live, rawTail) => {
          const login = await startLogin(auth)
          answerLogin(login.nonce)
          const query = new URLSearchParams(pairs)
          if (live) {
            query.set('state', login.state)
            query.set('iss', cf.issuer)
          }
          // The provider's `error` value is shown on purpose (RFC 6749 characters only, escaped).
          const secrets = pairs.filter(([name]) => name !== 'error').map(([, value]) => value)
          const url = `${APP_ORIGIN}/callback?${query}${encodeURI(rawTail)}`
          const response = await auth.handler(new Request(url, { headers: { cookie: login.cookie } }))
          await expectHandled(response, ...secrets, login.state, login.nonce)
          if (response.status === 302) {
            expect(live).toBe(true)
            expect(response.headers.get('location')).toBe('/')
          }
        },
      ),
      { numRuns: RUNS.slow },
    )
  })

  it('form_post with any body and content type: a 302 login or a typed 4xx', async () => {
    const contentType = fc.oneof(
      fc.constantFrom(
        'application/x-www-form-urlencoded',
        'application/x-www-form-urlencoded; charset=utf-8',
        'APPLICATION/X-WWW-FORM-URLENCODED',
        'application/json',
        'text/plain',
        'multipart/form-data; boundary=x',
      ),
      headerValue,
    )
    const body = fc.oneof(
      fc
        .array(fc.tuple(param, paramValue), { maxLength: 6 })
        .map((pairs) => new URLSearchParams(pairs).toString()),
      fc.string({ maxLength: 80 }),
      oddJson.map((value) => JSON.stringify(value) ?? ''),
      fc.integer({ min: 64 * 1024 - 4, max: 64 * 1024 + 4 }).map((n) => 'a'.repeat(n)),
    )
    await fc.assert(
      fc.asyncProperty(contentType, body, fc.boolean(), async (type, text, live) => {
        const login = await startLogin(formPostAuth)
        answerLogin(login.nonce)
        const form = live ? `${text}&state=${login.state}&iss=${encodeURIComponent(cf.issuer)}` : text
        const response = await formPostAuth.handler(
          new Request(`${APP_ORIGIN}/callback`, {
            method: 'POST',
            headers: { cookie: login.cookie, 'content-type': type },
            body: form,
          }),
        )
        await expectHandled(response, login.state, login.nonce)
      }),
      { numRuns: RUNS.slow },
    )
  })

  it('a provider answering garbage at the token endpoint: a typed error page (4xx or 502), no crash', async () => {
    await fc.assert(
      fc.asyncProperty(oddJson, async (answer) => {
        const login = await startLogin(auth)
        cf.answer(async () => answer as Record<string, unknown>)
        const query = new URLSearchParams({ code: 'c', state: login.state, iss: cf.issuer })
        const response = await auth.handler(
          new Request(`${APP_ORIGIN}/callback?${query}`, { headers: { cookie: login.cookie } }),
        )
        expect([400, 401, 502]).toContain(response.status)
        expect(await response.text()).toMatch(/ERR_[A-Z_]+/)
      }),
      { numRuns: RUNS.slow },
    )
  })
})

describe('returnTo: the Location that finally leaves is same-origin', () => {
  const piece = fc.constantFrom(
    '/',
    '//',
    '\\',
    '/\\',
    '.',
    '..',
    './',
    '../',
    '%2F',
    '%2f',
    '%5C',
    '%2E',
    '%2E%2E',
    '%252F',
    'evil.example',
    '@evil.example',
    ':',
    'http:',
    'https://evil.example',
    'javascript:',
    '?',
    '#',
    '\t',
    '\n',
    ' ',
    '%09',
    '%0a',
    'a',
    'notes',
    ';',
    '&',
    '%',
    '\u3002',
    '\uff0f',
    '\u2215',
  )
  // Dot segments next to slashes: what URL resolution rewrites after the raw value was checked.
  const dotted = fc
    .array(fc.constantFrom('/', '.', '..', '%2E', '\\', 'x'), { minLength: 2, maxLength: 6 })
    .map((parts) => `/${parts.join('')}`)
  const returnTo = fc.oneof(
    dotted,
    fc.array(piece, { minLength: 1, maxLength: 6 }).map((parts) => parts.join('')),
    fc.array(piece, { minLength: 1, maxLength: 5 }).map((parts) => `/${parts.join('')}`),
    fc.string({ maxLength: 30 }),
  )

  /** Whether the browser, at the callback URL, would stay on the application's origin. */
  function expectSameOrigin(location: string) {
    expect(location.startsWith('//')).toBe(false)
    expect(location.startsWith('/\\')).toBe(false)
    expect(new URL(location, `${APP_ORIGIN}/callback?code=x`).origin).toBe(APP_ORIGIN)
  }

  // Security review #1: `/.//evil.example` once came out as `Location: //evil.example`; the
  // property found it unaided too (seed 1099164850 shrank to returnTo "/%2E%2E//", Location "//").
  it('after a whole login (login -> provider -> callback), for any returnTo', async () => {
    await fc.assert(
      fc.asyncProperty(returnTo, async (value) => {
        const login = await startLogin(auth, value)
        answerLogin(login.nonce)
        const query = new URLSearchParams({ code: 'c', state: login.state, iss: cf.issuer })
        const done = await auth.handler(
          new Request(`${APP_ORIGIN}/callback?${query}`, { headers: { cookie: login.cookie } }),
        )
        expect(done.status).toBe(302)
        expectSameOrigin(done.headers.get('location') as string)
      }),
      { numRuns: RUNS.io, examples: [['/.//evil.example']] },
    )
  })

  it('loginUrl(request, returnTo) never leaves the origin and never throws', () => {
    fc.assert(
      fc.property(returnTo, (value) => {
        const url = auth.loginUrl(new Request(`${APP_ORIGIN}/page`), value)
        expectSameOrigin(url)
      }),
      { numRuns: RUNS.fast },
    )
  })
})

describe('errors are AuthErrors', () => {
  it('resolveSession on a request with any cookie never rejects with anything but an AuthError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 100 }), async (text) => {
        let header: string
        try {
          header = new Headers({ cookie: text }).get('cookie') ?? ''
        } catch {
          return // not a value a request can carry
        }
        await auth.resolveSession(new Request(APP_ORIGIN, { headers: { cookie: header } })).catch((error) => {
          expect(isAuthError(error)).toBe(true)
          expectClientError(error)
        })
      }),
      { numRuns: RUNS.fast },
    )
  })
})
