import { type DevIdp, startDevIdp } from '@org/dev-idp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createNextAuth, type NextAuth } from '../src/index.js'
import { Jar, logIn, loginOptions, request } from './helpers.js'

/** The default DPoP algorithms a 401 without a token offers (RFC 9449 §7.1). */
const ALGS = 'ES256 ES384 ES512 EdDSA Ed25519 PS256 RS256'

// withAuth and withSession route handlers, called as Next calls them: (request, { params }).
let idp: DevIdp
let nextAuth: NextAuth
beforeAll(async () => {
  idp = await startDevIdp()
  nextAuth = createNextAuth({
    ...loginOptions(idp),
    verifier: { issuer: idp.issuer, audience: idp.resource, discovery: true, tokenType: 'access' },
    realm: 'notes',
  })
})
afterAll(async () => {
  await idp?.close()
})

const params = (value: Record<string, string>) => ({ params: Promise.resolve(value) })
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } })

describe('withAuth', () => {
  const getNote = () =>
    nextAuth.withAuth(async (_request, { auth, params }) =>
      Response.json({ sub: auth.claims.sub, scopes: auth.scopes, id: (await params).id }),
    )
  const postNote = () =>
    nextAuth.withAuth((_request, { auth }) => Response.json({ by: auth.claims.sub }, { status: 201 }), {
      scopes: ['write'],
    })

  it('runs the handler for a valid token, with the claims and the route params', async () => {
    const token = await idp.getAccessToken({ scope: 'read write' })
    const response = await getNote()(request(new Jar(), '/api/notes/7', bearer(token)), params({ id: '7' }))
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ sub: idp.client.clientId, scopes: ['read', 'write'], id: '7' })
    const created = await postNote()(
      request(new Jar(), '/api/notes', { method: 'POST', ...bearer(token) }),
      params({}),
    )
    expect(created.status).toBe(201)
  })

  it('answers 401 with a bare challenge without a token', async () => {
    const response = await getNote()(request(new Jar(), '/api/notes/1'), params({ id: '1' }))
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toBe(
      `Bearer realm="notes", DPoP realm="notes", algs="${ALGS}"`,
    )
  })

  it('answers 400 invalid_request to a malformed Authorization header', async () => {
    const response = await getNote()(
      request(new Jar(), '/api/notes/1', { headers: { authorization: 'Basic abc' } }),
      params({ id: '1' }),
    )
    expect(response.status).toBe(400)
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="notes", error="invalid_request"/)
  })

  it('answers 401 invalid_token to a token it cannot verify, without echoing it', async () => {
    const token = await idp.getAccessToken({ scope: 'read' })
    const forged = `${token.slice(0, -4)}AAAA`
    const response = await getNote()(request(new Jar(), '/api/notes/1', bearer(forged)), params({ id: '1' }))
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toMatch(/error="invalid_token"/)
    expect(await response.text()).not.toContain(forged.slice(0, 40))
  })

  it('answers 403 insufficient_scope naming the scope', async () => {
    const token = await idp.getAccessToken({ scope: 'read' })
    const response = await postNote()(
      request(new Jar(), '/api/notes', { method: 'POST', ...bearer(token) }),
      params({}),
    )
    expect(response.status).toBe(403)
    expect(response.headers.get('www-authenticate')).toMatch(/error="insufficient_scope".*scope="write"/)
  })

  it('answers 503 with Retry-After when no verification key can be had', async () => {
    const keyless = await startDevIdp()
    try {
      const api = createNextAuth({
        ...loginOptions(keyless),
        verifier: { issuer: keyless.issuer, audience: keyless.resource, discovery: true },
      })
      const token = await keyless.getAccessToken({ scope: 'read' })
      keyless.setJwksMode('down')
      const handler = api.withAuth(() => new Response('never'))
      const response = await handler(request(new Jar(), '/api/x', bearer(token)), params({}))
      expect(response.status).toBe(503)
      expect(response.headers.get('retry-after')).toMatch(/^\d+$/)
      expect(await response.json()).toMatchObject({ error: 'temporarily_unavailable' })
    } finally {
      await keyless.close()
    }
  })

  it('fails at creation without a verifier or with a bad scope name, and at first use when lazy', async () => {
    const loginOnly = createNextAuth(loginOptions(idp))
    expect(() => loginOnly.withAuth(() => new Response('never'))).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    )
    expect(() => nextAuth.withAuth(() => new Response('never'), { scopes: ['two words'] })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    )
    const lazy = createNextAuth(() => loginOptions(idp))
    const route = lazy.withAuth(() => new Response('never'))
    const token = await idp.getAccessToken({ scope: 'read' })
    await expect(route(request(new Jar(), '/api/x', bearer(token)), params({}))).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTION',
    })
  })
})

describe('withSession', () => {
  it('answers 401 JSON to a fetch without a session and redirects a navigation to login', async () => {
    const route = nextAuth.withSession((_request, { auth }) => Response.json({ sub: auth.claims.sub }))
    const api = await route(request(new Jar(), '/api/me'), params({}))
    expect(api.status).toBe(401)
    expect(await api.json()).toMatchObject({ error: 'unauthorized' })
    const page = await route(
      request(new Jar(), '/me', { headers: { 'sec-fetch-mode': 'navigate' } }),
      params({}),
    )
    expect(page.status).toBe(302)
    expect(page.headers.get('location')).toBe('/api/auth/login?returnTo=%2Fme')
  })

  it('gives the handler the session user, and 403 for a scope the session lacks', async () => {
    const jar = new Jar()
    await logIn(nextAuth, idp, jar)
    const me = nextAuth.withSession((_request, { auth }) =>
      Response.json({ sub: auth.claims.sub, hasToken: auth.token !== undefined }),
    )
    const response = await me(request(jar, '/api/me'), params({}))
    expect(await response.json()).toEqual({ sub: 'alice', hasToken: true })
    const admin = nextAuth.withSession(() => new Response('never'), { scopes: ['admin'] })
    expect((await admin(request(jar, '/api/admin'), params({}))).status).toBe(403)
  })
})
