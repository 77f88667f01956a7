import { ConfigurationError } from '@org/auth-core'
import { type DevIdp, startDevIdp } from '@org/dev-idp'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createNextAuth, type NextAuth } from '../src/index.js'
import { Jar, loginOptions, request } from './helpers.js'
import { enterRequest, leaveRequest } from './next-context.js'

/** The default DPoP algorithms a 401 without a token offers (RFC 9449 §7.1). */
const ALGS = 'ES256 ES384 ES512 EdDSA Ed25519 PS256 RS256'

// `createNextAuth({ verifier })`: an API that only accepts bearer tokens needs no login (no client,
// no session secrets). withAuth works; what needs a login says so when used, with its own code.
vi.mock('next/headers', () => import('./next-context.js'))
vi.mock('next/server', async (original) => ({
  ...(await original<typeof import('next/server')>()),
  connection: (await import('./next-context.js')).connection,
}))

let idp: DevIdp
beforeAll(async () => {
  idp = await startDevIdp()
})
afterAll(async () => {
  await idp?.close()
})
afterEach(() => {
  leaveRequest()
})

const params = { params: Promise.resolve({}) }
const NOT_CONFIGURED = expect.objectContaining({
  code: 'ERR_LOGIN_NOT_CONFIGURED',
  status: 500,
  message: expect.stringContaining('"session.secrets"'),
})

function bearerOnly(): NextAuth {
  return createNextAuth({
    verifier: { issuer: idp.issuer, audience: idp.resource, discovery: true, tokenType: 'access' },
    realm: 'api',
  })
}

describe('a bearer-only createNextAuth', () => {
  it('is created without a client or session secrets, and withAuth answers as usual', async () => {
    const api = bearerOnly()
    const route = api.withAuth((_request, { auth }) => Response.json({ sub: auth.claims.sub }), {
      scopes: ['read'],
    })
    const token = await idp.getAccessToken({ scope: 'read' })
    const ok = await route(
      request(new Jar(), '/api/x', { headers: { authorization: `Bearer ${token}` } }),
      params,
    )
    expect(ok.status).toBe(200)
    expect(await ok.json()).toEqual({ sub: idp.client.clientId })
    const missing = await route(request(new Jar(), '/api/x'), params)
    expect(missing.status).toBe(401)
    expect(missing.headers.get('www-authenticate')).toBe(
      `Bearer realm="api", DPoP realm="api", algs="${ALGS}"`,
    )
  })

  it('throws ERR_LOGIN_NOT_CONFIGURED where a route module uses the login (proxy, withSession)', () => {
    const api = bearerOnly()
    expect(() => api.proxy()).toThrow(NOT_CONFIGURED)
    expect(() => api.withSession(() => new Response('never'))).toThrow(NOT_CONFIGURED)
    expect(() => api.auth()).toThrow(NOT_CONFIGURED)
    expect(() => api.auth()).toThrow(ConfigurationError)
  })

  it('rejects with ERR_LOGIN_NOT_CONFIGURED from the login routes and every session reader, never null', async () => {
    const api = bearerOnly()
    await expect(api.handlers.GET(request(new Jar(), '/api/auth/login'))).rejects.toThrow(NOT_CONFIGURED)
    await expect(api.handlers.POST(request(new Jar(), '/api/auth/logout'))).rejects.toThrow(NOT_CONFIGURED)
    await expect(api.getSessionFromRequest(request(new Jar(), '/'))).rejects.toThrow(NOT_CONFIGURED)
    enterRequest(new Jar(), { writable: true })
    await expect(api.getSession()).rejects.toThrow(NOT_CONFIGURED)
    await expect(api.getSessionInAction()).rejects.toThrow(NOT_CONFIGURED)
    await expect(api.requireSession('/account')).rejects.toThrow(NOT_CONFIGURED)
  })

  it('is the same from a function, found when it is first called', async () => {
    const lazy = createNextAuth(() => ({
      verifier: { issuer: idp.issuer, audience: idp.resource, discovery: true },
    }))
    const proxy = lazy.proxy() // nothing known yet: the request finds out
    await expect(proxy(request(new Jar(), '/account'))).rejects.toThrow(NOT_CONFIGURED)
    const token = await idp.getAccessToken({ scope: 'read' })
    const route = lazy.withAuth(() => new Response('ok'))
    const ok = await route(
      request(new Jar(), '/api/x', { headers: { authorization: `Bearer ${token}` } }),
      params,
    )
    expect(ok.status).toBe(200)
  })

  it('keeps a login configuration that lacks a part an invalid option, named by createAuth', () => {
    // Any login option makes it a login configuration: the missing secret is the error, not "no login".
    const verifier = { issuer: idp.issuer, audience: idp.resource }
    // @ts-expect-error neither a login (no "session") nor bearer-only (a login option): refused by the types too
    expect(() => createNextAuth({ verifier, issuer: idp.issuer, clientId: 'app' })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION', message: expect.stringContaining('"session"') }),
    )
  })

  it('runs withAuth routes when the login part of a lazy configuration is broken', async () => {
    const mixed = createNextAuth(() => ({
      ...loginOptions(idp),
      session: { secrets: '' },
      verifier: { issuer: idp.issuer, audience: idp.resource, discovery: true },
    }))
    const token = await idp.getAccessToken({ scope: 'read' })
    const route = mixed.withAuth(() => new Response('ok'))
    const ok = await route(
      request(new Jar(), '/api/x', { headers: { authorization: `Bearer ${token}` } }),
      params,
    )
    expect(ok.status).toBe(200)
    await expect(mixed.handlers.GET(request(new Jar(), '/api/auth/login'))).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTION',
    })
  })
})
