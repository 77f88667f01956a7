/**
 * AuthGuard and @RequireSession() in real listening Nest applications (Express and Fastify) on
 * arbitrary `Authorization` values, sent once or repeated, and arbitrary `Cookie` headers around
 * the session cookie and its chunks: no input gets a 5xx. A bearer refusal is RFC 6750 (400/401
 * JSON with a `Bearer` challenge, never the token echoed); a session refusal is the core's 401
 * JSON or a redirect to login for a navigation. The real token and the real session cookie are
 * among the inputs, so the success paths are taken too.
 */
import 'reflect-metadata'
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { Controller, Get, UseGuards } from '@nestjs/common'
import { createAuth, type JWTClaims } from '@org/auth-core'
import { DEMO_CLIENTS, type DevIdp, signInToApp, startDevIdp } from '@org/dev-idp'
import {
  authorizationValue,
  cookieHeader,
  expectNoLeak,
  expectOAuthErrorBody,
  RUNS,
  sendableByNode,
} from '@org/test-kit/arbitraries'
import { AUDIENCE, ISSUER, makeKey, sign } from '@org/test-kit/keys'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AuthGuard, CurrentAuth, RequireSession } from '../src/index.js'
import { PLATFORMS, type RunningApp, startApp } from './helpers.js'

@Controller('api')
@UseGuards(AuthGuard)
class BearerController {
  @Get('me')
  me(@CurrentAuth('claims') claims: JWTClaims) {
    return { sub: claims.sub }
  }
}

@Controller()
class SessionController {
  @Get('dashboard')
  @RequireSession()
  dashboard(@CurrentAuth('claims') claims: JWTClaims) {
    return { sub: claims.sub }
  }

  // No decorator: the global bearer guard protects it.
  @Get('api/me')
  me(@CurrentAuth('claims') claims: JWTClaims) {
    return { sub: claims.sub }
  }
}

interface Answer {
  status: number
  headers: IncomingHttpHeaders
  text: string
}

/** A GET with the header lines sent as given (repeated `Authorization` lines stay separate), with its body. */
function rawGet(origin: string, path: string, headers: string[]): Promise<Answer> {
  const { hostname, port, host } = new URL(origin)
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, path, headers: ['Host', host, ...headers] }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text: Buffer.concat(chunks).toString('utf8'),
        }),
      )
    })
    req.on('error', reject)
    req.end()
  })
}

const SECRET = 'a-nest-property-secret-that-is-long-enough'
let idp: DevIdp
let token: string
let verifier: { issuer: string; audience: string; jwks: { keys: object[] } }
beforeAll(async () => {
  const key = await makeKey('ES256')
  verifier = { issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [key.publicJwk] } }
  token = await sign(key)
  idp = await startDevIdp()
})
afterAll(async () => {
  await idp?.close()
})

/** Mostly arbitrary values, some with the real token inside. */
const authorization = fc.oneof(
  { weight: 4, arbitrary: authorizationValue.filter(sendableByNode) },
  fc.constantFrom('Bearer', 'bearer').map((scheme) => () => `${scheme} ${token}`),
  fc.constant(() => `Bearer ${token.slice(0, -2)}`),
)
const resolve = (input: string | (() => string)) => (typeof input === 'string' ? input : input())

/** An RFC 6750 refusal of `sent`: 400/401, a `Bearer` challenge, an OAuth error body, nothing echoed. */
function expectBearerRefusal(answer: Answer, sent: readonly string[]): void {
  expect([400, 401]).toContain(answer.status)
  expect(answer.headers['www-authenticate']).toMatch(/^Bearer( |,|$)/)
  expect(answer.headers['cache-control']).toBe('no-store')
  expectOAuthErrorBody(JSON.parse(answer.text))
  for (const header of sent) {
    expectNoLeak(answer.text, header.slice(7))
    expectNoLeak(answer.headers['www-authenticate'] ?? '', header.slice(7))
  }
}

describe.each(PLATFORMS)('AuthGuard on %s, any Authorization header', (platform) => {
  let app: RunningApp
  beforeAll(async () => {
    app = await startApp({
      platform,
      mode: 'forRoot',
      options: { verifier, realm: 'api' },
      controllers: [BearerController],
    })
  })
  afterAll(async () => {
    await app?.close()
  })

  it('200 for the real token sent once, else an RFC 6750 400/401 (never a 5xx)', async () => {
    let admitted = 0
    await fc.assert(
      fc.asyncProperty(fc.array(authorization, { minLength: 1, maxLength: 2 }), async (inputs) => {
        const sent = inputs.map(resolve)
        const answer = await rawGet(
          app.origin,
          '/api/me',
          sent.flatMap((value) => ['Authorization', value]),
        )
        if (answer.status === 200) {
          expect(sent).toEqual([expect.stringMatching(/^bearer /i)])
          expect(JSON.parse(answer.text)).toEqual({ sub: 'alice' })
          admitted++
          return
        }
        expectBearerRefusal(answer, sent)
        if (sent.length > 1) expect(answer.status).toBe(400)
      }),
      { numRuns: RUNS.io },
    )
    expect(admitted).toBeGreaterThan(0) // the success path was taken too
  })
})

describe.each(PLATFORMS)('@RequireSession() under the global guard on %s, any Cookie header', (platform) => {
  let app: RunningApp
  let session: string
  beforeAll(async () => {
    app = await startApp({
      platform,
      mode: 'forRoot',
      options: {
        verifier,
        login: createAuth({
          issuer: idp.issuer,
          clientId: DEMO_CLIENTS.nest.clientId,
          clientSecret: DEMO_CLIENTS.nest.clientSecret,
          scopes: ['openid', 'profile'],
          session: { secrets: SECRET },
        }),
      },
      controllers: [SessionController],
      globalGuard: true,
    })
    const { jar } = await signInToApp(idp.authorize, `${app.origin}/auth/login`)
    session = jar.header()
    expect(session).toMatch(/^auth\.session=/)
  })
  afterAll(async () => {
    await app?.close()
  })

  const cookie = fc.oneof(
    { weight: 4, arbitrary: cookieHeader('auth.session').filter(sendableByNode) },
    fc.constant(() => session),
    // The real cookie beside forged chunks and transaction cookies.
    cookieHeader('auth.session')
      .filter(sendableByNode)
      .map((extra) => () => `${session}; ${extra}`),
  )
  const navigation = fc.constantFrom<string[]>([], ['Sec-Fetch-Mode', 'navigate', 'Accept', 'text/html'])

  it('the session route: 200 with the real session, else 401 JSON or a redirect to login', async () => {
    let admitted = 0
    await fc.assert(
      fc.asyncProperty(
        cookie,
        navigation,
        fc.option(authorization, { nil: undefined }),
        async (input, nav, bearer) => {
          const sent = resolve(input)
          const headers = ['Cookie', sent, ...nav]
          if (bearer !== undefined) headers.push('Authorization', resolve(bearer))
          const answer = await rawGet(app.origin, '/dashboard', headers)
          expect(answer.status).toBeLessThan(500)
          if (answer.status === 200) {
            expect(sent).toContain(session)
            expect(JSON.parse(answer.text)).toEqual({ sub: 'alice' })
            admitted++
            return
          }
          expect(sent).not.toBe(session)
          expect(answer.headers['cache-control']).toBe('no-store')
          if (answer.status === 302) {
            expect(nav).not.toEqual([])
            expect(answer.headers.location).toBe('/auth/login?returnTo=%2Fdashboard')
          } else {
            expect(answer.status).toBe(401)
            expect(JSON.parse(answer.text)).toEqual({
              error: 'unauthorized',
              error_description: 'Sign-in required',
            })
          }
          expectNoLeak(answer.text, sent)
        },
      ),
      { numRuns: RUNS.io },
    )
    expect(admitted).toBeGreaterThan(0) // the success path was taken too
  })

  it('a bearer route under the global guard: the session cookie never stands in for a token', async () => {
    let admitted = 0
    await fc.assert(
      fc.asyncProperty(cookie, fc.option(authorization, { nil: undefined }), async (input, bearer) => {
        const headers = ['Cookie', resolve(input)]
        const sent = bearer === undefined ? [] : [resolve(bearer)]
        for (const value of sent) headers.push('Authorization', value)
        const answer = await rawGet(app.origin, '/api/me', headers)
        if (answer.status === 200) {
          expect(sent).toEqual([expect.stringMatching(/^bearer /i)])
          expect(JSON.parse(answer.text)).toEqual({ sub: 'alice' })
          admitted++
          return
        }
        expectBearerRefusal(answer, sent)
        if (sent.length === 0)
          expect(answer.headers['www-authenticate']).toBe(
            'Bearer, DPoP algs="ES256 ES384 ES512 EdDSA Ed25519 PS256 RS256"',
          )
      }),
      { numRuns: RUNS.io },
    )
    expect(admitted).toBeGreaterThan(0) // the success path was taken too
  })
})
