import { afterEach, describe, expect, it, vi } from 'vitest'
import { type AuthOptions, createAuth, OAuthClient, resolveAuth } from '../src/index.js'
import { devIdps } from './helpers/dev-idps.js'
import { SECRET } from './helpers/web-login.js'

// Defaults that must hold in production: no published secret seals a cookie (security review #8),
// and no Host header picks the redirect URI or the cookie attributes (security review #9).
const idp = devIdps()
const RANDOM = 'kT3vQ9xL2mR7pW4zN8cY1bF6hJ0sD5gA'

afterEach(() => {
  vi.unstubAllEnvs()
})

const client = {} as OAuthClient
function options(
  extra: Partial<AuthOptions> = {},
  session: Partial<AuthOptions['session']> = {},
): AuthOptions {
  return { client, baseUrl: 'https://app.example.com', ...extra, session: { secrets: RANDOM, ...session } }
}

describe('secrets in production', () => {
  it.each([
    ['the README example', 'a-random-secret-of-at-least-32-characters'],
    ['a demo fallback', 'express-demo-development-secret-not-for-production'],
    ['a placeholder', 'changeme-changeme-changeme-changeme'],
    ['one repeated character', 'x'.repeat(40)],
    ['a short cycle', '0123456789'.repeat(4).slice(0, 36).replace(/9/g, '8')],
  ])('refuses %s at start-up, naming the option', (_label, secret) => {
    vi.stubEnv('NODE_ENV', 'production')
    expect(() => createAuth(options({}, { secrets: secret }))).toThrow(
      expect.objectContaining({
        code: 'ERR_INVALID_OPTION',
        message: expect.stringContaining('session.secrets'),
      }),
    )
    // A retired weak secret in the rotation list is refused too.
    expect(() => createAuth(options({}, { secrets: [RANDOM, secret] }))).toThrow(/session\.secrets/)
    // The explicit opt-out.
    expect(() => createAuth(options({}, { secrets: secret, allowWeakSecrets: true }))).not.toThrow()
  })

  it('accepts them outside production, and random secrets everywhere', () => {
    vi.stubEnv('NODE_ENV', 'development')
    expect(() =>
      createAuth(options({}, { secrets: 'a-random-secret-of-at-least-32-characters' })),
    ).not.toThrow()
    vi.stubEnv('NODE_ENV', 'production')
    expect(() => createAuth(options())).not.toThrow()
    expect(() =>
      createAuth(options({}, { secrets: 'f'.repeat(8) + '0123456789abcdef'.repeat(2) })),
    ).not.toThrow()
  })
})

describe('the application origin', () => {
  it('requires baseUrl (or trustHost) in production, at start-up', () => {
    vi.stubEnv('NODE_ENV', 'production')
    expect(() => createAuth(options({ baseUrl: undefined }))).toThrow(/"baseUrl".*required in production/)
    expect(() => createAuth(options({ baseUrl: undefined, trustHost: true }))).not.toThrow()
  })

  it('without baseUrl, refuses a request for a non-loopback host instead of trusting its Host', async () => {
    const provider = await idp()
    const auth = createAuth({
      client: await OAuthClient.discover(provider.issuer, { clientId: provider.clients.basic.clientId }),
      basePath: '/',
      session: { secrets: SECRET },
    })
    const forged = await auth.handler(
      new Request('http://attacker.example/login?returnTo=/x', { headers: { accept: 'application/json' } }),
    )
    expect(forged.status).toBe(421)
    expect(forged.headers.get('location')).toBeNull()
    expect(forged.headers.get('set-cookie')).toBeNull()
    const body = await forged.text()
    expect(body).toContain('ERR_BASE_URL_REQUIRED')
    expect(body).not.toContain('attacker.example') // request input is not echoed
    await expect(auth.resolveSession(new Request('https://attacker.example/'))).rejects.toMatchObject({
      code: 'ERR_BASE_URL_REQUIRED',
      status: 421,
    })
    // Local development on loopback keeps working without configuration.
    const local = await auth.handler(new Request('http://127.0.0.1:4567/login'))
    expect(local.status).toBe(302)
    const redirect = new URL(local.headers.get('location') as string)
    expect(redirect.searchParams.get('redirect_uri')).toBe('http://127.0.0.1:4567/callback')
  })

  it('takes the request origin with trustHost, and only baseUrl with baseUrl', async () => {
    const provider = await idp()
    const discovered = await OAuthClient.discover(provider.issuer, {
      clientId: provider.clients.basic.clientId,
    })
    const trusting = createAuth({
      client: discovered,
      basePath: '/',
      trustHost: true,
      session: { secrets: SECRET },
    })
    const proxied = await trusting.handler(new Request('https://app.example.com/login'))
    expect(new URL(proxied.headers.get('location') as string).searchParams.get('redirect_uri')).toBe(
      'https://app.example.com/callback',
    )
    expect(proxied.headers.get('set-cookie')).toMatch(/^__Host-auth\.session\.txn\..*; Secure/)
    const fixed = createAuth({
      client: discovered,
      basePath: '/',
      baseUrl: 'https://app.example.com',
      session: { secrets: SECRET },
    })
    const spoofed = await fixed.handler(new Request('http://attacker.example/login'))
    expect(new URL(spoofed.headers.get('location') as string).searchParams.get('redirect_uri')).toBe(
      'https://app.example.com/callback',
    )
  })

  it('resolveAuth takes the Node bridge origin as baseUrl and trustProxy as trustHost', async () => {
    vi.stubEnv('NODE_ENV', 'production')
    const base = { client, session: { secrets: RANDOM } }
    expect(() => resolveAuth(base)).toThrow(/"baseUrl"/)
    const viaOrigin = resolveAuth(base, { origin: 'https://app.example.com' })
    expect(viaOrigin.loginUrl(new Request('http://attacker.example/'))).toBe('/auth/login')
    expect(() => resolveAuth(base, { trustProxy: true })).not.toThrow()
  })
})
