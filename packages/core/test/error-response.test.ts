import { AUDIENCE, ISSUER, makeKey, nowSeconds, sign, type TestKey } from '@org/test-kit/keys'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  type AuthError,
  AuthError as AuthErrorClass,
  authErrorResponse,
  ConfigurationError,
  createTokenVerifier,
  describeAuthError,
  extractBearerToken,
  InsufficientScopeError,
  InvalidPublicKeyError,
  isAuthError,
  JWTClaimValidationError,
  JWTExpiredError,
  JWTVerificationError,
  KeysUnavailableError,
  MalformedAuthorizationError,
  MissingTokenError,
  OAuthExchangeError,
  prebuiltErrorResponse,
  RemoteResponseError,
  requireGrantedScopes,
  scopesOf,
  type TokenVerifier,
} from '../src/index.js'

let key: TestKey
let verifier: TokenVerifier
/** Every token these tests create: no error message, header or body may contain one. */
const tokens: string[] = []
/** Every error and response part these tests produce, checked for leaked tokens at the end. */
const produced: unknown[] = []

async function token(claims: Record<string, unknown> = {}): Promise<string> {
  const value = await sign(key, claims)
  tokens.push(value)
  return value
}

function caught(fn: () => unknown): AuthError {
  try {
    fn()
  } catch (error) {
    if (!isAuthError(error)) throw error
    produced.push(error)
    return error
  }
  throw new Error('expected the call to throw')
}

async function rejection(promise: Promise<unknown>): Promise<AuthError> {
  try {
    await promise
  } catch (error) {
    if (!isAuthError(error)) throw error
    produced.push(error)
    return error
  }
  throw new Error('expected the promise to reject')
}

function describe_(error: AuthError, options?: { realm?: string }) {
  const parts = describeAuthError(error, options)
  produced.push(parts)
  return parts
}

async function expiredError(): Promise<AuthError> {
  const now = nowSeconds()
  return rejection(verifier.verify(await token({ iat: now - 600, exp: now - 60 })))
}

beforeAll(async () => {
  key = await makeKey('ES256', 'resp-1')
  verifier = createTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [key.publicJwk] } })
})

describe('missing token', () => {
  it('answers 401 with a bare Bearer challenge', () => {
    const parts = describe_(caught(() => extractBearerToken(undefined)))
    expect(parts.status).toBe(401)
    expect(parts.headers['www-authenticate']).toBe('Bearer')
    expect(parts.headers['www-authenticate']).not.toContain('error=')
    expect(parts.headers['cache-control']).toBe('no-store')
  })
  it('adds only the realm when one is configured', () => {
    const parts = describe_(
      caught(() => extractBearerToken(null)),
      { realm: 'api' },
    )
    expect(parts.status).toBe(401)
    expect(parts.headers['www-authenticate']).toBe('Bearer realm="api"')
  })
})

describe('malformed Authorization header', () => {
  it('answers 400 invalid_request', () => {
    const parts = describe_(caught(() => extractBearerToken('Basic dXNlcjpwYXNz')))
    expect(parts.status).toBe(400)
    expect(parts.headers['www-authenticate']).toBe(
      'Bearer error="invalid_request", error_description="The Authorization header must use the Bearer scheme"',
    )
    expect(parts.body).toEqual({
      error: 'invalid_request',
      error_description: 'The Authorization header must use the Bearer scheme',
    })
    expect(parts.headers['cache-control']).toBe('no-store')
  })
})

describe('invalid token', () => {
  it('answers 401 invalid_token for an expired token, with realm and description', async () => {
    const error = await expiredError()
    expect(error).toBeInstanceOf(JWTExpiredError)
    expect(error.code).toBe('ERR_JWT_EXPIRED')
    const parts = describe_(error, { realm: 'api' })
    expect(parts.status).toBe(401)
    expect(parts.headers['www-authenticate']).toBe(
      'Bearer realm="api", error="invalid_token", error_description="The token has expired"',
    )
    expect(parts.body).toEqual({ error: 'invalid_token', error_description: 'The token has expired' })
    expect(parts.headers['cache-control']).toBe('no-store')
    expect(parts.headers['retry-after']).toBeUndefined()
  })
  it('answers 401 invalid_token for a token of another audience', async () => {
    const error = await rejection(verifier.verify(await token({ aud: 'https://other.example' })))
    const parts = describe_(error)
    expect(parts.status).toBe(401)
    expect(parts.headers['www-authenticate']).toBe(
      'Bearer error="invalid_token", error_description="The token is not meant for this audience"',
    )
  })
})

describe('insufficient scope', () => {
  it('answers 403 with the required scopes in the challenge', async () => {
    const claims = await verifier.verify(await token({ scope: 'read' }))
    const error = caught(() => requireGrantedScopes({ scopes: scopesOf(claims) }, ['read', 'write']))
    const parts = describe_(error, { realm: 'api' })
    expect(parts.status).toBe(403)
    expect(parts.headers['www-authenticate']).toBe(
      'Bearer realm="api", error="insufficient_scope", error_description="The token lacks a required scope", scope="read write"',
    )
    expect(parts.body).toEqual({
      error: 'insufficient_scope',
      error_description: 'The token lacks a required scope',
    })
  })
})

describe('keys unavailable', () => {
  it('answers 503 with Retry-After, a generic body and no challenge', () => {
    const error = new KeysUnavailableError('ERR_JWKS_UNAVAILABLE', 'The JWKS endpoint is unavailable', 30)
    produced.push(error)
    const parts = describe_(error, { realm: 'api' })
    expect(parts.status).toBe(503)
    expect(parts.headers['retry-after']).toBe('30')
    expect(parts.headers['www-authenticate']).toBeUndefined()
    expect(parts.headers['cache-control']).toBe('no-store')
    expect(parts.body).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'Verification keys are temporarily unavailable',
    })
  })
})

describe('store unavailable', () => {
  it('answers 503 with a default Retry-After and a body that names no keys and no store', () => {
    const error = new AuthErrorClass('ERR_STORE_UNAVAILABLE', 'The Redis store failed to read a session', 503)
    produced.push(error)
    const parts = describe_(error, { realm: 'api' })
    expect(parts.status).toBe(503)
    expect(parts.headers['retry-after']).toBe('5')
    expect(parts.body).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'The service is temporarily unavailable',
    })
  })
})

describe('configuration error', () => {
  it('answers 500 server_error without the configuration message', () => {
    const error = caught(() =>
      createTokenVerifier({
        issuer: ISSUER,
        audience: AUDIENCE,
        jwks: { keys: [key.publicJwk] },
        audiance: AUDIENCE,
      } as never),
    )
    expect(error).toBeInstanceOf(ConfigurationError)
    expect(error.message).toContain('audiance')
    const parts = describe_(error, { realm: 'api' })
    expect(parts.status).toBe(500)
    expect(parts.body).toEqual({ error: 'server_error', error_description: 'Internal server error' })
    expect(parts.body.error_description).not.toContain(error.message)
    expect(JSON.stringify(parts)).not.toContain('audiance')
    expect(parts.headers['www-authenticate']).toBeUndefined()
    expect(parts.headers['retry-after']).toBeUndefined()
    expect(parts.headers['cache-control']).toBe('no-store')
  })
  it('answers 500 server_error for an invalid public key, hiding its message', () => {
    const error = caught(() =>
      createTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, publicKey: 'not a key' }),
    )
    expect(error).toBeInstanceOf(InvalidPublicKeyError)
    const parts = describe_(error)
    expect(parts.status).toBe(500)
    expect(parts.body).toEqual({ error: 'server_error', error_description: 'Internal server error' })
  })
})

describe('realm sanitising', () => {
  it('strips quotes, backslashes and newlines from the realm', () => {
    const error = new MissingTokenError()
    const parts = describe_(error, { realm: 'a"pi\\\r\nWWW-Authenticate: Basic' })
    expect(parts.headers['www-authenticate']).toBe('Bearer realm="apiWWW-Authenticate: Basic"')
    expect(parts.headers['www-authenticate']).not.toMatch(/[\r\n\\]/)
  })
  it('strips them in a challenge that also carries an error', async () => {
    const parts = describe_(await expiredError(), { realm: '"x"\n' })
    expect(parts.headers['www-authenticate']).toBe(
      'Bearer realm="x", error="invalid_token", error_description="The token has expired"',
    )
  })
})

describe('authErrorResponse', () => {
  it('returns a Web Response with the same status, headers and a JSON body', async () => {
    const error = await expiredError()
    const response = authErrorResponse(error, { realm: 'api' })
    const parts = describe_(error, { realm: 'api' })
    expect(response).toBeInstanceOf(Response)
    expect(response.status).toBe(401)
    expect(response.headers.get('content-type')).toBe('application/json')
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(response.headers.get('www-authenticate')).toBe(parts.headers['www-authenticate'])
    const text = await response.text()
    produced.push(text)
    expect(JSON.parse(text)).toEqual(parts.body)
  })
  it('carries Retry-After and no challenge for 503', async () => {
    const response = authErrorResponse(new KeysUnavailableError('ERR_JWKS_UNAVAILABLE', 'down', 7))
    expect(response.status).toBe(503)
    expect(response.headers.get('retry-after')).toBe('7')
    expect(response.headers.get('www-authenticate')).toBeNull()
    expect(await response.json()).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'Verification keys are temporarily unavailable',
    })
  })
  it('works without options', async () => {
    const response = authErrorResponse(new MissingTokenError())
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toBe('Bearer')
    expect(await response.json()).toEqual({
      error: 'unauthorized',
      error_description: 'A bearer token is required',
    })
  })
})

describe('isAuthError', () => {
  it('is true for every subclass', () => {
    const errors: AuthError[] = [
      new AuthErrorClass('ERR_X', 'x', 400),
      new ConfigurationError('bad'),
      new MissingTokenError(),
      new MalformedAuthorizationError('bad'),
      new JWTVerificationError('ERR_JWT_MALFORMED', 'bad'),
      new JWTExpiredError(),
      new JWTClaimValidationError('ERR_JWT_CLAIM_MISSING', 'sub', 'bad'),
      new InsufficientScopeError(['read']),
      new InvalidPublicKeyError('bad'),
      new KeysUnavailableError('ERR_JWKS_UNAVAILABLE', 'down', 1),
      new RemoteResponseError('ERR_REMOTE', 'bad'),
      new OAuthExchangeError('invalid_grant'),
    ]
    for (const error of errors) {
      expect(isAuthError(error), error.name).toBe(true)
      expect(error).toBeInstanceOf(Error)
    }
  })
  it('is false for a plain Error and for non-errors', () => {
    expect(isAuthError(new Error('x'))).toBe(false)
    expect(isAuthError(Object.assign(new Error('x'), { code: 'ERR_JWT_EXPIRED', status: 401 }))).toBe(false)
    expect(isAuthError(null)).toBe(false)
    expect(isAuthError(undefined)).toBe(false)
    expect(isAuthError('ERR_JWT_EXPIRED')).toBe(false)
    expect(isAuthError({ code: 'ERR_JWT_EXPIRED' })).toBe(false)
  })
  it('is true for an error of another installed copy (same registered symbol, different class)', () => {
    class ForeignAuthError extends Error {
      readonly code = 'ERR_JWT_EXPIRED'
      readonly status = 401
      readonly oauthError = 'invalid_token' as const
      constructor() {
        super('The token has expired')
        Object.defineProperty(this, Symbol.for('@org/auth-core/AuthError'), { value: true })
      }
    }
    const foreign = new ForeignAuthError()
    expect(foreign).not.toBeInstanceOf(AuthErrorClass)
    expect(isAuthError(foreign)).toBe(true)
    // The response helpers duck-type, so the foreign error is described like a local one.
    const parts = describe_(foreign as unknown as AuthError, { realm: 'api' })
    expect(parts.status).toBe(401)
    expect(parts.headers['www-authenticate']).toBe(
      'Bearer realm="api", error="invalid_token", error_description="The token has expired"',
    )
  })
  it('is false when the symbol is set to something other than true', () => {
    expect(isAuthError({ [Symbol.for('@org/auth-core/AuthError')]: 'yes' })).toBe(false)
    expect(isAuthError({ [Symbol('@org/auth-core/AuthError')]: true })).toBe(false)
  })
})

describe('no token leaks', () => {
  // Declared last, so it runs after every test above has recorded what it produced.
  it('no error message, header or body produced here contains a token', () => {
    expect(tokens.length).toBeGreaterThanOrEqual(4)
    expect(produced.length).toBeGreaterThanOrEqual(20)
    for (const item of produced) {
      const texts =
        item instanceof Error
          ? [item.message, String(item), JSON.stringify(item)]
          : [typeof item === 'string' ? item : JSON.stringify(item)]
      for (const text of texts) {
        for (const value of tokens) {
          expect(text).not.toContain(value)
          // Nor any of its segments (the payload alone would leak the claims).
          for (const segment of value.split('.')) expect(text).not.toContain(segment)
        }
      }
    }
  })
})

describe('stack traces', () => {
  it('are not captured for failures caused by the request, and are for configuration errors', async () => {
    const {
      ConfigurationError,
      JWTExpiredError,
      MalformedAuthorizationError,
      MissingTokenError,
      InsufficientScopeError,
    } = await import('../src/index.js')
    for (const error of [
      new MissingTokenError(),
      new MalformedAuthorizationError('x'),
      new JWTExpiredError(),
      new InsufficientScopeError(['a']),
    ]) {
      expect(error.stack?.split('\n').filter((line) => line.trim().startsWith('at ')) ?? []).toEqual([])
    }
    expect(new ConfigurationError('bad option').stack).toMatch(/\n\s+at /)
    expect(Error.stackTraceLimit).toBeGreaterThan(0)
  })
})

describe('prebuiltErrorResponse', () => {
  it('answers exactly what authErrorResponse answers, as a fresh Response each call', async () => {
    const error = new MissingTokenError()
    const make = prebuiltErrorResponse(error, { realm: 'api' })
    const [first, second] = [make(), make()]
    const reference = authErrorResponse(error, { realm: 'api' })
    expect(first).not.toBe(second)
    for (const response of [first, second]) {
      expect(response.status).toBe(reference.status)
      expect([...response.headers]).toEqual([...reference.headers])
    }
    expect(await first.text()).toBe(await reference.text())
    expect(await second.json()).toEqual({
      error: 'unauthorized',
      error_description: 'A bearer token is required',
    })
  })
})

describe('error_description characters (RFC 6749 §5.2, RFC 6750 §3)', () => {
  it('sends the same allowed characters in the JSON body as in the challenge: no double quote, no backslash', () => {
    const error = new JWTVerificationError('ERR_JWT_TYPE_INVALID', 'Needs typ "at+jwt"\\ not "JWT"\n')
    const { body, headers } = describeAuthError(error)
    expect(body.error_description).toBe("Needs typ 'at+jwt' not 'JWT'")
    expect(body.error_description).toMatch(/^[\x20\x21\x23-\x5B\x5D-\x7E]*$/)
    expect(headers['www-authenticate']).toContain(`error_description="Needs typ 'at+jwt' not 'JWT'"`)
  })
})
