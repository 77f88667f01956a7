import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { build } from 'tsup'
import { afterAll, describe, expect, it, vi } from 'vitest'
import * as delegation from '../src/delegation/index.js'
import * as core from '../src/index.js'
import * as node from '../src/node.js'

type Module = Record<string, unknown>
type ErrorClass = new (...args: never[]) => Error

/** Arguments that construct each exported error class. A class missing here fails the coverage test. */
const ARGUMENTS: Record<string, unknown[]> = {
  AuthError: ['ERR_TEST', 'a test failure', 500],
  ConfigurationError: ['bad option'],
  MissingTokenError: [],
  MalformedAuthorizationError: ['not a bearer header'],
  JWTVerificationError: ['ERR_JWT_INVALID', 'bad token'],
  JWTExpiredError: [],
  JWTClaimValidationError: ['ERR_JWT_AUDIENCE', 'aud', 'wrong audience'],
  InsufficientScopeError: [['write']],
  InsufficientUserAuthenticationError: ['A stronger authentication is required', { acrValues: ['urn:mfa'] }],
  InvalidPublicKeyError: ['not a key'],
  KeysUnavailableError: ['ERR_JWKS_UNAVAILABLE', 'no keys', 30],
  RemoteResponseError: ['ERR_HTTP_STATUS', 'answered 500'],
  RevocationUnavailableError: ['the revocation check failed'],
  OAuthExchangeError: ['invalid_grant'],
  UnusableExchangeResponseError: [new core.RemoteResponseError('ERR_HTTP_STATUS', 'answered 500')],
  MfaRequiredError: ['mfa-token'],
  AuthorizationResponseError: ['ERR_STATE_MISMATCH', 'state differs'],
  SessionError: ['ERR_SESSION_MISSING', 'no session', 401],
  LoginRefusedError: [],
  InvalidRequestError: ['ERR_METHOD_INVALID', 'bad method'],
  RequestTooLargeError: [1024],
  RequestAbortedError: [],
  BodyConsumedError: [],
  ResponseAlreadySentError: [],
  DelegationInputError: ['ERR_PHONE_INVALID', 'phoneNumber', 'not E.164'],
  DelegationProtocolError: ['ERR_DELEGATION_SIGNATURE', 'bad signature'],
  InvalidPrivateKeyError: ['not a private key'],
  DelegationRefusedError: ['otp_invalid', 2],
  DpopProofError: ['bad proof'],
  DpopNonceError: ['nonce-1'],
  DpopBindingError: ['ERR_DPOP_BINDING_MISMATCH', 'wrong key'],
}

function errorClasses(...modules: Module[]): [string, ErrorClass][] {
  const found = new Map<string, ErrorClass>()
  for (const module of modules) {
    for (const [name, value] of Object.entries(module)) {
      if (typeof value === 'function' && value.prototype instanceof Error)
        found.set(name, value as ErrorClass)
    }
  }
  return [...found]
}

function construct(name: string, cls: ErrorClass): Error {
  const args = ARGUMENTS[name]
  if (args === undefined) throw new Error(`no test arguments for ${name}`)
  return new cls(...(args as never[]))
}

const sourceClasses = errorClasses(core, node, delegation)

describe('error class names', () => {
  it('covers every exported error class', () => {
    expect(sourceClasses.map(([name]) => name).sort()).toEqual(Object.keys(ARGUMENTS).sort())
  })

  it.each(sourceClasses)('%s is named by a literal', (name, cls) => {
    const error = construct(name, cls)
    expect(error.name).toBe(name)
    expect(String(error.stack).split('\n')[0]).toBe(`${name}: ${error.message}`)
  })

  // Next's server build minifies: class bindings become `r`, `n`... and `constructor.name` with them.
  describe('in a minified bundle', () => {
    const outDir = mkdtempSync(join(tmpdir(), 'org-auth-minified-'))
    afterAll(() => rmSync(outDir, { recursive: true, force: true }))

    it('keeps every name', async () => {
      await build({
        config: false,
        entry: { index: 'src/index.ts', node: 'src/node.ts', delegation: 'src/delegation/index.ts' },
        outDir,
        format: ['esm'],
        target: 'es2022',
        platform: 'node',
        minify: true,
        noExternal: [/^jose/],
        silent: true,
      })
      const modules = await Promise.all(
        ['index', 'node', 'delegation'].map(
          async (entry) => (await import(pathToFileURL(join(outDir, `${entry}.js`)).href)) as Module,
        ),
      )
      const minified = errorClasses(...modules)
      expect(minified.map(([name]) => name).sort()).toEqual(Object.keys(ARGUMENTS).sort())
      // The bundle really renamed the classes: otherwise this test would prove nothing.
      expect(minified.filter(([name, cls]) => cls.name !== name).length).toBeGreaterThan(0)
      for (const [name, cls] of minified) expect(construct(name, cls).name).toBe(name)
    }, 60_000)
  })

  it("keeps an application's own subclass name", () => {
    class TenantSuspendedError extends core.AuthError {}
    expect(new TenantSuspendedError('ERR_TENANT', 'suspended', 403).name).toBe('TenantSuspendedError')
  })
})

describe('error identity across copies of the package', () => {
  // A second evaluation of the same source: what a process holds when the CommonJS build is loaded
  // beside the ESM one (or a duplicate install): same code, different class objects.
  async function otherCopy(): Promise<{ core: Module; node: Module; delegation: Module }> {
    vi.resetModules()
    const copy = {
      core: (await import('../src/index.js')) as Module,
      node: (await import('../src/node.js')) as Module,
      delegation: (await import('../src/delegation/index.js')) as Module,
    }
    vi.resetModules()
    return copy
  }

  it('is a second copy indeed', async () => {
    const other = await otherCopy()
    expect(other.core['AuthError']).not.toBe(core.AuthError)
    const OtherExpired = other.core['JWTExpiredError'] as typeof core.JWTExpiredError
    // Without the identity check, the ordinary prototype check says no.
    expect(Function.prototype[Symbol.hasInstance].call(core.JWTExpiredError, new OtherExpired())).toBe(false)
  })

  it('answers instanceof and isAuthError for errors of the other copy', async () => {
    const other = await otherCopy()
    const otherClasses = new Map(errorClasses(other.core, other.node, other.delegation))
    for (const [name, cls] of sourceClasses) {
      const foreign = construct(name, otherClasses.get(name) as ErrorClass)
      expect(foreign instanceof cls, name).toBe(true)
      expect(foreign instanceof core.AuthError, name).toBe(true)
      expect(core.isAuthError(foreign), name).toBe(true)
      const local = construct(name, cls)
      expect(local instanceof (otherClasses.get(name) as ErrorClass), name).toBe(true)
    }
  })

  it('keeps the class hierarchy: no sibling or subclass matches', async () => {
    const other = await otherCopy()
    const OtherExpired = other.core['JWTExpiredError'] as typeof core.JWTExpiredError
    const OtherVerification = other.core['JWTVerificationError'] as typeof core.JWTVerificationError
    const expired = new OtherExpired()
    expect(expired instanceof core.JWTVerificationError).toBe(true)
    expect(expired instanceof core.JWTExpiredError).toBe(true)
    expect(expired instanceof core.InsufficientScopeError).toBe(false)
    expect(expired instanceof core.JWTClaimValidationError).toBe(false)
    expect(new OtherVerification('ERR_JWT_INVALID', 'bad') instanceof core.JWTExpiredError).toBe(false)
    expect(new core.JWTExpiredError() instanceof Error).toBe(true)
  })

  it('does not let a look-alike pass: an identity without the AuthError tag', () => {
    const forged = Object.create({
      [Symbol.for('@org/auth-core/AuthError.class')]: '@org/auth-core/AuthError',
    })
    expect(forged instanceof core.AuthError).toBe(false)
    expect({ code: 'ERR_JWT_EXPIRED', status: 401 } instanceof core.AuthError).toBe(false)
    const nothing: unknown = null
    expect(nothing instanceof core.AuthError).toBe(false)
  })

  it("leaves an application's subclass to the ordinary check", async () => {
    const other = await otherCopy()
    class TenantSuspendedError extends core.AuthError {}
    const foreign = new (other.core['AuthError'] as typeof core.AuthError)('ERR_TENANT', 'suspended', 403)
    expect(foreign instanceof TenantSuspendedError).toBe(false)
    const OtherAuthError = other.core['AuthError'] as typeof core.AuthError
    expect(new TenantSuspendedError('ERR_TENANT', 'suspended', 403) instanceof OtherAuthError).toBe(true)
  })
})
