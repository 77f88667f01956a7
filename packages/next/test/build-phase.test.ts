import { type DevIdp, startDevIdp } from '@org/dev-idp'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { createNextAuth, type NextAuthLoginOptions } from '../src/index.js'
import { Jar, loginOptions, request } from './helpers.js'

// `next build` loads route modules (collecting page data) with NEXT_PHASE=phase-production-build
// and NODE_ENV=production, usually without the run time's secrets: the README's
// `secrets: process.env.SESSION_SECRET ?? ''` must not fail the build, and must still be refused
// at run time, where the checks are the production ones.
let idp: DevIdp
beforeAll(async () => {
  idp = await startDevIdp()
})
afterAll(async () => {
  await idp?.close()
})
beforeEach(() => {
  // The build warning is once per process, remembered on the global.
  delete (globalThis as Record<symbol, unknown>)[Symbol.for('@org/auth-next.deferred-warning')]
})
afterEach(() => {
  vi.unstubAllEnvs()
  vi.restoreAllMocks()
})

const BUILD = 'phase-production-build'
/** The README's quickstart as a build environment without SESSION_SECRET evaluates it. */
const withoutSecret = (): NextAuthLoginOptions => ({
  ...loginOptions(idp),
  baseUrl: 'https://app.example.com',
  session: { secrets: '' }, // `process.env.SESSION_SECRET ?? ''` with the variable unset
})
const SECRETS_REFUSED = expect.objectContaining({
  code: 'ERR_INVALID_OPTION',
  message: expect.stringContaining('"session.secrets"'),
})

describe('createNextAuth during next build', () => {
  it('defers invalid options to first use, with one build warning naming the option', async () => {
    vi.stubEnv('NEXT_PHASE', BUILD)
    vi.stubEnv('NODE_ENV', 'production')
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const nextAuth = createNextAuth(withoutSecret())
    createNextAuth(withoutSecret()) // another route module: no second warning
    expect(warn).toHaveBeenCalledTimes(1)
    expect(String(warn.mock.calls[0]?.[0])).toMatch(/next build.*ERR_INVALID_OPTION.*"session\.secrets"/)
    // Route modules load: what they create at import time does not need the secret.
    const { GET } = nextAuth.handlers
    const proxy = nextAuth.proxy({ protect: ['/account'] })
    nextAuth.withSession(() => new Response('never'))

    // Used (at run time, the same instance), it is refused, every time, with the option named.
    vi.stubEnv('NEXT_PHASE', 'phase-production-server')
    await expect(GET(request(new Jar(), '/api/auth/login'))).rejects.toThrow(SECRETS_REFUSED)
    await expect(proxy(request(new Jar(), '/account'))).rejects.toThrow(SECRETS_REFUSED)
    expect(() => nextAuth.auth()).toThrow(SECRETS_REFUSED)
    expect(await nextAuth.getSessionFromRequest(request(new Jar(), '/'))).toBeNull() // fail closed
  })

  it('still needs a verifier for withAuth at import time (not an environment matter)', () => {
    vi.stubEnv('NEXT_PHASE', BUILD)
    vi.spyOn(console, 'warn').mockImplementation(() => {})
    expect(() => createNextAuth(withoutSecret()).withAuth(() => new Response('never'))).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION', message: expect.stringContaining('"verifier"') }),
    )
  })

  it('uses valid options as they are, checked once', async () => {
    vi.stubEnv('NEXT_PHASE', BUILD)
    const warn = vi.spyOn(console, 'warn')
    const nextAuth = createNextAuth(loginOptions(idp))
    expect(warn).not.toHaveBeenCalled()
    expect((await nextAuth.handlers.GET(request(new Jar(), '/api/auth/login'))).status).toBe(302)
  })
})

describe('createNextAuth at run time', () => {
  it('refuses a missing secret at once, naming the option (no NEXT_PHASE: next start, tests)', () => {
    expect(() => createNextAuth(withoutSecret())).toThrow(SECRETS_REFUSED)
    vi.stubEnv('NEXT_PHASE', 'phase-production-server')
    expect(() => createNextAuth(withoutSecret())).toThrow(SECRETS_REFUSED)
  })

  it('refuses a published example secret in production, also when the build deferred it', async () => {
    const published = { ...loginOptions(idp), baseUrl: 'https://app.example.com' }
    published.session = { secrets: 'a-random-secret-of-at-least-32-characters' }
    vi.stubEnv('NODE_ENV', 'production')
    const weak = expect.objectContaining({
      code: 'ERR_INVALID_OPTION',
      message: expect.stringMatching(/"session\.secrets".*published/),
    })
    expect(() => createNextAuth(published)).toThrow(weak)
    vi.stubEnv('NEXT_PHASE', BUILD)
    vi.spyOn(console, 'warn').mockImplementation(() => {})
    const built = createNextAuth(published)
    vi.stubEnv('NEXT_PHASE', 'phase-production-server')
    await expect(built.handlers.GET(request(new Jar(), '/api/auth/login'))).rejects.toThrow(weak)
  })
})
