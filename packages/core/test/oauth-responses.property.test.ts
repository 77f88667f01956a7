/**
 * Every back-channel parser against a fault server on 127.0.0.1 that answers anything: arbitrary
 * JSON (shaped like the endpoint's answer or not), non-JSON, wrong content types, any status,
 * bodies shorter than their Content-Length, and bodies past the size cap. Each call must either
 * return a well-typed result or reject with an AuthError carrying a stable code, and no value of
 * the answer (a token, a code) may be copied into the error message.
 */
import type { ServerResponse } from 'node:http'
import { canary, expectClientError, expectNoLeak, oddJson, RUNS } from '@org/test-kit/arbitraries'
import { AUDIENCE, makeKey, sign, type TestKey } from '@org/test-kit/keys'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTokenVerifier, OAuthClient } from '../src/index.js'
import { type FaultServer, startFaultServer } from './helpers/fault-server.js'

/** What the fault server answers next, on every path. */
interface Answer {
  status: number
  contentType: string | undefined
  body: string
  /** Declare a longer body than is sent: the connection ends early. */
  shortBy: number
}

let server: FaultServer
let current: Answer
let key: TestKey

function respond(res: ServerResponse, answer: Answer) {
  const bytes = Buffer.from(answer.body)
  const headers: Record<string, string | number> = {}
  if (answer.contentType !== undefined) headers['content-type'] = answer.contentType
  if (answer.shortBy > 0) headers['content-length'] = bytes.byteLength + answer.shortBy
  res.writeHead(answer.status, headers)
  if (answer.shortBy > 0) {
    res.write(bytes)
    res.socket?.destroy()
  } else {
    res.end(bytes)
  }
}

beforeAll(async () => {
  key = await makeKey('RS256', 'k1')
  server = await startFaultServer()
  for (const path of [
    '/token',
    '/device',
    '/userinfo',
    '/introspect',
    '/jwks',
    '/mfa/authenticators',
    '/mfa/challenge',
    '/.well-known/openid-configuration',
    '/.well-known/oauth-authorization-server',
  ]) {
    server.route(path, (req, res) => {
      req.resume()
      respond(res, current)
    })
  }
})
afterAll(async () => {
  await server.close()
})

function client(): OAuthClient {
  return new OAuthClient({
    metadata: {
      issuer: server.base,
      token_endpoint: server.url('/token'),
      device_authorization_endpoint: server.url('/device'),
      userinfo_endpoint: server.url('/userinfo'),
      introspection_endpoint: server.url('/introspect'),
      jwks_uri: server.url('/jwks'),
    },
    clientId: 'c',
    clientSecret: 'client-secret-value',
    timeout: 2000,
  })
}

const STATUS = fc.constantFrom(200, 200, 200, 201, 204, 302, 400, 400, 401, 403, 404, 429, 500, 503)
const CONTENT_TYPE = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/problem+json',
  'application/jwt',
  'application/jsonx',
  'text/json',
  'text/html',
  '',
  undefined,
)

/** A JSON object shaped like the endpoint's answer: its fields, each with an odd or plausible value. */
function shaped(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<string> {
  const entries = Object.entries(fields).map(
    ([name, plausible]) =>
      [name, fc.option(fc.oneof(plausible, oddJson, canary), { nil: undefined })] as const,
  )
  return fc.record(Object.fromEntries(entries)).map((value) => JSON.stringify(value))
}

/** Any answer, with the given shaped JSON as the likeliest body. */
function answers(body: fc.Arbitrary<string>): fc.Arbitrary<Answer> {
  return fc.record({
    status: STATUS,
    contentType: CONTENT_TYPE,
    body: fc.oneof(
      { weight: 6, arbitrary: body },
      { weight: 2, arbitrary: oddJson.map((value) => JSON.stringify(value) ?? '') },
      { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
      { weight: 1, arbitrary: body.map((text) => text.slice(0, Math.floor(text.length / 2))) },
      { weight: 1, arbitrary: body.map((text) => `${text}${' '.repeat(300 * 1024)}`) },
    ),
    shortBy: fc.oneof(
      { weight: 5, arbitrary: fc.constant(0) },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 100 }) },
    ),
  })
}

/** The secret-looking strings inside an answer: none may appear in an error message. */
function secretsOf(answer: Answer): string[] {
  return [...answer.body.matchAll(/Cx[A-Za-z0-9]{20,28}/g)].map((match) => match[0])
}

/**
 * Runs `call` against `answer`: a typed error, or a result that `check` accepts. `quotable`
 * names public values an error may quote on purpose (a discovery document's `issuer`).
 */
async function expectTyped<T>(
  answer: Answer,
  call: () => Promise<T>,
  check: (result: T) => void,
  quotable: readonly string[] = [],
) {
  current = answer
  let result: T
  try {
    result = await call()
  } catch (error) {
    const authError = expectClientError(error, () => true)
    const secrets = secretsOf(answer).filter((secret) => !quotable.some((value) => value.includes(secret)))
    expectNoLeak(authError.message, ...secrets)
    return
  }
  check(result)
}

/** The `issuer` member of a JSON body, or '' when there is none. */
function announcedIssuer(body: string): string {
  try {
    const issuer = (JSON.parse(body) as { issuer?: unknown }).issuer
    return typeof issuer === 'string' ? issuer : ''
  } catch {
    return ''
  }
}

const url = fc.constantFrom(
  'https://idp.example/verify',
  'http://x',
  'javascript:alert(1)',
  '//evil',
  'not a url',
)
const seconds = fc.oneof(
  fc.integer({ min: -5, max: 10_000 }),
  fc.constantFrom('300', '-1', '1e3', 1e308, 0.5),
)
const tokenFields = {
  access_token: fc.constant('at'),
  token_type: fc.constantFrom('Bearer', 'bearer', 'DPoP', 'mac'),
  expires_in: seconds,
  refresh_token: fc.constant('rt'),
  scope: fc.constant('a b'),
  id_token: fc.constant('a.b.c'),
}

describe('token endpoint answers (clientCredentials, refresh)', () => {
  it('a checked TokenSet or a typed error', async () => {
    await fc.assert(
      fc.asyncProperty(answers(shaped(tokenFields)), fc.boolean(), async (answer, refresh) => {
        const c = client()
        await expectTyped(
          answer,
          () => (refresh ? c.refresh('rt-in') : c.clientCredentials()),
          (set) => {
            expect(typeof set.accessToken).toBe('string')
            expect(set.tokenType).toBe('Bearer')
            expect(set.expiresIn === undefined || Number.isInteger(set.expiresIn)).toBe(true)
            expect(set.idToken).toBeUndefined() // 'a.b.c' never verifies
          },
        )
      }),
      { numRuns: RUNS.io },
    )
  })

  it('an RFC 6749 §5.2 error keeps only a safe error code and description', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          error: fc.oneof(oddJson, canary, fc.string()),
          error_description: fc.oneof(oddJson, fc.string()),
        }),
        fc.constantFrom(400, 401),
        async (body, status) => {
          current = { status, contentType: 'application/json', body: JSON.stringify(body), shortBy: 0 }
          const error = await client()
            .clientCredentials()
            .catch((e: unknown) => e)
          const authError = expectClientError(error, () => true)
          expect(['ERR_OAUTH_EXCHANGE', 'ERR_HTTP_STATUS']).toContain(authError.code)
          const { error: code, errorDescription } = authError as { error?: string; errorDescription?: string }
          if (code !== undefined) expect(code).toMatch(/^[\x20\x21\x23-\x5B\x5D-\x7E]{1,64}$/)
          if (errorDescription !== undefined)
            expect(errorDescription).toMatch(/^[\x20\x21\x23-\x5B\x5D-\x7E]*$/)
        },
      ),
      { numRuns: RUNS.io },
    )
  })
})

describe('device authorization, MFA, userinfo and introspection answers', () => {
  it('deviceAuthorization: a checked DeviceAuthorization or a typed error', async () => {
    const fields = {
      device_code: fc.constant('dc'),
      user_code: fc.constant('UC'),
      verification_uri: url,
      verification_url: url,
      verification_uri_complete: url,
      expires_in: seconds,
      interval: seconds,
    }
    await fc.assert(
      fc.asyncProperty(answers(shaped(fields)), async (answer) => {
        await expectTyped(
          answer,
          () => client().deviceAuthorization(),
          (device) => {
            expect(new URL(device.verificationUri).protocol).toMatch(/^https?:$/)
            expect(Number.isInteger(device.expiresIn) && device.expiresIn > 0).toBe(true)
            expect(device.interval).toBeGreaterThanOrEqual(1)
            expect(device.interval).toBeLessThanOrEqual(60)
          },
        )
      }),
      { numRuns: RUNS.io },
    )
  })

  it('MFA authenticators and challenges: checked entries or a typed error', async () => {
    const authenticator = shaped({
      id: fc.constant('otp|1'),
      authenticator_type: fc.constantFrom('otp', 'oob'),
      active: fc.boolean(),
      name: fc.constant('phone'),
      oob_channel: fc.constant('sms'),
    })
    const list = fc.array(authenticator, { maxLength: 3 }).map((items) => `[${items.join(',')}]`)
    const challenge = shaped({
      challenge_type: fc.constantFrom('otp', 'oob'),
      oob_code: fc.constant('oob-code'),
      binding_method: fc.constant('prompt'),
    })
    await fc.assert(
      fc.asyncProperty(fc.oneof(answers(list), answers(challenge)), fc.nat(2), async (answer, which) => {
        const c = client()
        if (which === 0) {
          await expectTyped(
            answer,
            () => c.mfaAuthenticators('mfa-token'),
            (items) => {
              for (const item of items) {
                expect(typeof item.id).toBe('string')
                expect(typeof item.active).toBe('boolean')
              }
            },
          )
        } else if (which === 1) {
          await expectTyped(
            answer,
            () => c.mfaOtpRequest('mfa-token'),
            (result) => {
              expect(result).toEqual({ challengeType: 'otp' })
            },
          )
        } else {
          await expectTyped(
            answer,
            () => c.mfaOobRequest('mfa-token'),
            (result) => {
              expect(result.challengeType).toBe('oob')
              expect(typeof result.oobCode).toBe('string')
            },
          )
        }
      }),
      { numRuns: RUNS.io },
    )
  })

  it('userinfo: claims whose sub is the expected one, or a typed error', async () => {
    const fields = {
      sub: fc.constantFrom('alice', 'mallory', ''),
      email: fc.constant('a@b'),
      name: fc.constant('A'),
    }
    await fc.assert(
      fc.asyncProperty(answers(shaped(fields)), async (answer) => {
        await expectTyped(
          answer,
          () => client().userinfo('access-token', 'alice'),
          (claims) => {
            expect(claims.sub).toBe('alice')
          },
        )
      }),
      { numRuns: RUNS.io },
    )
  })

  it('introspection: RFC 7662 types or a typed error', async () => {
    const fields = {
      active: fc.boolean(),
      scope: fc.constant('a'),
      client_id: fc.constant('c'),
      exp: fc.integer(),
      aud: fc.constantFrom('x', ['x', 'y']),
      sub: fc.constant('s'),
    }
    await fc.assert(
      fc.asyncProperty(answers(shaped(fields)), async (answer) => {
        await expectTyped(
          answer,
          () => client().introspect('token'),
          (result) => {
            expect(typeof result.active).toBe('boolean')
            if (!result.active) expect(result).toEqual({ active: false })
            if (result.exp !== undefined) expect(typeof result.exp).toBe('number')
          },
        )
      }),
      { numRuns: RUNS.io },
    )
  })
})

describe('discovery metadata and JWKS documents', () => {
  it('OAuthClient.discover: metadata for this issuer, or a typed error', async () => {
    const fields = {
      issuer: fc.constantFrom('self', 'https://other.example', `http://127.0.0.1:1`),
      token_endpoint: url,
      jwks_uri: url,
      authorization_endpoint: url,
      response_types_supported: fc.constant(['code']),
    }
    await fc.assert(
      fc.asyncProperty(answers(shaped(fields)), async (answer) => {
        const withIssuer = { ...answer, body: answer.body.replace('"self"', JSON.stringify(server.base)) }
        await expectTyped(
          withIssuer,
          () => OAuthClient.discover(server.base, { clientId: 'c', timeout: 2000 }),
          (c) => {
            expect(c.metadata.issuer).toBe(server.base)
          },
          // The mismatch error names the announced issuer (public metadata) so the log says what to fix.
          [announcedIssuer(withIssuer.body)],
        )
      }),
      { numRuns: RUNS.io },
    )
  })

  it('a verifier on a remote JWKS: the token verifies only with the real key, else 401/503', async () => {
    const jwk = fc.record(
      {
        kty: fc.oneof(fc.constantFrom('RSA', 'EC', 'OKP', 'oct'), oddJson),
        kid: fc.oneof(fc.constant('k1'), oddJson),
        alg: fc.oneof(fc.constantFrom('RS256', 'ES256', 'HS256', 'none'), oddJson),
        use: fc.oneof(fc.constantFrom('sig', 'enc'), oddJson),
        n: fc.oneof(fc.constant('AQAB'), oddJson),
        e: fc.oneof(fc.constant('AQAB'), oddJson),
        crv: fc.oneof(fc.constantFrom('P-256', 'Ed25519', 'X25519'), oddJson),
        x: oddJson,
        y: oddJson,
        k: fc.constant('c2VjcmV0'),
      },
      { requiredKeys: [] },
    )
    const document = fc.oneof(
      fc.array(fc.oneof(jwk, fc.constant(null)), { maxLength: 3 }).map((keys) => JSON.stringify({ keys })),
      fc.constant(null).map(() => JSON.stringify({ keys: [key.publicJwk] })),
      fc.array(jwk, { maxLength: 2 }).map((keys) => JSON.stringify({ keys: [...keys, key.publicJwk] })),
    )
    const token = await sign(key)
    await fc.assert(
      fc.asyncProperty(answers(document), async (answer) => {
        current = answer
        const verifier = createTokenVerifier({
          issuer: 'https://issuer.example.test',
          audience: AUDIENCE,
          jwks: server.url('/jwks'),
          remote: { timeout: 2000 },
          cache: false,
        })
        try {
          await verifier.verify(token)
          expect(answer.body).toContain(key.publicJwk.n as string)
        } catch (error) {
          const authError = expectClientError(error, (status) => status === 401 || status === 503)
          expectNoLeak(authError.message, token)
        }
      }),
      { numRuns: RUNS.io },
    )
  })
})
