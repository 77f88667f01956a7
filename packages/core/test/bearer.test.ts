import { AUDIENCE, ISSUER, makeKey, sign, type TestKey } from '@org/test-kit/keys'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  authenticate,
  createTokenVerifier,
  extractBearerToken,
  InsufficientScopeError,
  missingScopes,
  parseScope,
  requireGrantedScopes,
  type ScopedAuth,
  scopesOf,
  type TokenVerifier,
} from '../src/index.js'

const MISSING = { code: 'ERR_BEARER_MISSING', status: 401, oauthError: undefined }
const MALFORMED = { code: 'ERR_BEARER_MALFORMED', status: 400, oauthError: 'invalid_request' }

function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  throw new Error('expected the call to throw')
}

describe('extractBearerToken: accepted forms (RFC 6750 §2.1)', () => {
  it('returns the token of "Bearer <token>"', () => {
    expect(extractBearerToken('Bearer abc')).toBe('abc')
  })
  it('matches the scheme case-insensitively', () => {
    expect(extractBearerToken('bearer abc')).toBe('abc')
    expect(extractBearerToken('BEARER abc')).toBe('abc')
    expect(extractBearerToken('bEaReR abc')).toBe('abc')
  })
  it('accepts every b64token character and trailing "=" padding', () => {
    expect(extractBearerToken('Bearer a-._~+/b==')).toBe('a-._~+/b==')
  })
  it('accepts a one-element array (Node headersDistinct)', () => {
    expect(extractBearerToken(['Bearer abc'])).toBe('abc')
    expect(extractBearerToken(['bearer xyz'])).toBe('xyz')
  })
  it('returns a real JWT unchanged', async () => {
    const key = await makeKey('ES256')
    const token = await sign(key)
    expect(extractBearerToken(`Bearer ${token}`)).toBe(token)
  })
})

describe('extractBearerToken: no header', () => {
  for (const [label, value] of [
    ['undefined', undefined],
    ['null', null],
    ['an empty array', []],
  ] as const) {
    it(`treats ${label} as a missing token (401, no error code)`, () => {
      const error = thrown(() => extractBearerToken(value))
      expect(error).toMatchObject({ ...MISSING, name: 'MissingTokenError' })
      expect((error as { oauthError?: unknown }).oauthError).toBeUndefined()
    })
  }
})

describe('extractBearerToken: malformed headers (400 invalid_request)', () => {
  for (const [label, value] of [
    ['an empty string', ''],
    ['the scheme alone', 'Bearer'],
    ['the scheme and a space, no token', 'Bearer '],
    ['lower-case scheme alone with a space', 'bearer '],
    ['two tokens', 'Bearer a b'],
    ['two spaces after the scheme', 'Bearer  abc'],
    ['a trailing space', 'Bearer abc '],
    ['a tab instead of the space', 'Bearer\tabc'],
    ['another scheme (Basic)', 'Basic dXNlcjpwYXNz'],
    ['a token with no scheme', 'abc'],
    ['a comma in the token', 'Bearer a,b'],
    ['a double quote in the token', 'Bearer a"b'],
    ['a non-ASCII character', 'Bearer ä'],
    ['"=" inside the token, not at its end', 'Bearer a=b'],
    ['the comma-joined form fetch Headers give for two headers', 'Bearer a, Bearer b'],
    ['the scheme with no space before the token', 'Bearerabc'],
  ] as const) {
    it(`refuses ${label}: ${JSON.stringify(value)}`, () => {
      expect(thrown(() => extractBearerToken(value))).toMatchObject({
        ...MALFORMED,
        name: 'MalformedAuthorizationError',
      })
    })
  }
  it('refuses two header values given as an array', () => {
    expect(thrown(() => extractBearerToken(['Bearer a', 'Bearer b']))).toMatchObject(MALFORMED)
  })
  it('refuses two identical header values given as an array', () => {
    expect(thrown(() => extractBearerToken(['Bearer a', 'Bearer a']))).toMatchObject(MALFORMED)
  })
  it('refuses a one-element array whose value is malformed', () => {
    expect(thrown(() => extractBearerToken(['Basic dXNlcjpwYXNz']))).toMatchObject(MALFORMED)
    expect(thrown(() => extractBearerToken(['']))).toMatchObject(MALFORMED)
  })
  it('never echoes the header value in the message', () => {
    const secret = 'Bearer s3cr3t,token'
    const error = thrown(() => extractBearerToken(secret)) as Error
    expect(error.message).not.toContain('s3cr3t')
  })
})

describe('scopesOf', () => {
  it('splits the space-separated "scope" claim', () => {
    expect(scopesOf({ scope: 'read write' })).toEqual(['read', 'write'])
  })
  it('ignores repeated spaces in "scope"', () => {
    expect(scopesOf({ scope: ' read  write ' })).toEqual(['read', 'write'])
  })
  it('reads an "scp" array', () => {
    expect(scopesOf({ scp: ['read', 'admin'] })).toEqual(['read', 'admin'])
  })
  it('keeps only the strings of an "scp" array', () => {
    expect(scopesOf({ scp: ['read', 42, null, 'write'] as unknown as string[] })).toEqual(['read', 'write'])
  })
  it('reads an "scp" string', () => {
    expect(scopesOf({ scp: 'read write' })).toEqual(['read', 'write'])
  })
  it('prefers "scope" over "scp"', () => {
    expect(scopesOf({ scope: 'a', scp: ['b'] })).toEqual(['a'])
  })
  it('returns no scope for an empty "scope"', () => {
    expect(scopesOf({ scope: '' })).toEqual([])
    expect(scopesOf({ scp: [] })).toEqual([])
  })
  it('returns no scope when the claims carry none', () => {
    expect(scopesOf({ sub: 'alice' })).toEqual([])
  })
  it('returns no scope for a non-string, non-array value', () => {
    expect(scopesOf({ scope: 42 as unknown as string })).toEqual([])
  })
})

describe('requireGrantedScopes', () => {
  const auth = { scopes: scopesOf({ sub: 'alice', scope: 'read write' }) }

  it('passes when every required scope is granted', () => {
    expect(() => requireGrantedScopes(auth, ['read'])).not.toThrow()
    expect(() => requireGrantedScopes(auth, ['write', 'read'])).not.toThrow()
    expect(() => requireGrantedScopes({ scopes: ['admin'] }, ['admin'])).not.toThrow()
  })
  it('passes when nothing is required, even with no scopes', () => {
    expect(() => requireGrantedScopes({ scopes: [] }, [])).not.toThrow()
  })
  it('throws InsufficientScopeError (403) naming the required scopes', () => {
    const error = thrown(() => requireGrantedScopes(auth, ['read', 'admin']))
    expect(error).toBeInstanceOf(InsufficientScopeError)
    expect(error).toMatchObject({
      code: 'ERR_INSUFFICIENT_SCOPE',
      status: 403,
      oauthError: 'insufficient_scope',
      requiredScopes: ['read', 'admin'],
    })
    expect(missingScopes(auth, ['read', 'admin', 'delete'])).toEqual(['admin', 'delete'])
  })
  it('throws when the context has no scopes at all', () => {
    expect(thrown(() => requireGrantedScopes({ scopes: [] }, ['read']))).toMatchObject({
      code: 'ERR_INSUFFICIENT_SCOPE',
      status: 403,
      requiredScopes: ['read'],
    })
  })
  it('does not treat a scope prefix, or another case, as the scope', () => {
    expect(thrown(() => requireGrantedScopes({ scopes: ['readonly'] }, ['read']))).toMatchObject({
      code: 'ERR_INSUFFICIENT_SCOPE',
    })
    expect(missingScopes({ scopes: ['READ'] }, ['read'])).toEqual(['read'])
  })
  it("compares the context's scopes, never claims beside them", () => {
    // A session context: the user's claims carry a `scp` attribute, the access token has none.
    const session = { claims: { sub: 'alice', scp: 'admin', scope: 'admin' }, scopes: ['openid'] }
    expect(thrown(() => requireGrantedScopes(session, ['admin']))).toMatchObject({
      code: 'ERR_INSUFFICIENT_SCOPE',
    })
  })
  it('refuses token claims passed instead of a context (TypeError, not a 403 or a pass)', () => {
    const claims = { sub: 'alice', scope: 'admin' } as unknown as ScopedAuth
    expect(() => requireGrantedScopes(claims, ['admin'])).toThrow(TypeError)
    expect(() => missingScopes(claims, ['admin'])).toThrow(TypeError)
  })
})

describe('parseScope', () => {
  it('splits a space-separated value and drops empty entries', () => {
    expect(parseScope(' openid  read ')).toEqual(['openid', 'read'])
    expect(parseScope(['read', '', 7, 'write'])).toEqual(['read', 'write'])
  })
  it('grants nothing for a missing or odd value, and freezes what it returns', () => {
    expect(parseScope(undefined)).toEqual([])
    expect(parseScope({ 0: 'admin' })).toEqual([])
    expect(Object.isFrozen(parseScope('read'))).toBe(true)
  })
})

describe('authenticate', () => {
  let key: TestKey
  let verifier: TokenVerifier

  beforeAll(async () => {
    key = await makeKey('RS256', 'auth-1')
    verifier = createTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [key.publicJwk] } })
  })

  it('returns the claims, the token and the scopes', async () => {
    const token = await sign(key, { scope: 'read write', sub: 'bob' })
    const context = await authenticate(verifier, `Bearer ${token}`)
    expect(context.token).toBe(token)
    expect(context.claims).toMatchObject({ iss: ISSUER, aud: AUDIENCE, sub: 'bob', scope: 'read write' })
    expect(context.scopes).toEqual(['read', 'write'])
    expect(Object.isFrozen(context.claims)).toBe(true)
  })
  it('collects scopes from "scp"', async () => {
    const token = await sign(key, { scope: undefined, scp: ['orders:read'] })
    const context = await authenticate(verifier, [`bearer ${token}`])
    expect(context.scopes).toEqual(['orders:read'])
  })
  it('rejects a missing header before verifying', async () => {
    await expect(authenticate(verifier, undefined)).rejects.toMatchObject(MISSING)
  })
  it('rejects a malformed header', async () => {
    const token = await sign(key)
    await expect(authenticate(verifier, `Bearer ${token} extra`)).rejects.toMatchObject(MALFORMED)
  })
  it('rejects a token the verifier refuses', async () => {
    const token = await sign(key, { aud: 'https://elsewhere.example' })
    await expect(authenticate(verifier, `Bearer ${token}`)).rejects.toMatchObject({
      code: 'ERR_JWT_AUDIENCE_INVALID',
      status: 401,
      oauthError: 'invalid_token',
    })
  })
})
