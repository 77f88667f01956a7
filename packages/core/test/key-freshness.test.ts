import type { ServerResponse } from 'node:http'
import { AUDIENCE, ISSUER, makeKey, sign, type TestKey } from '@org/test-kit/keys'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { createRemoteJwks, createTokenVerifier, type RemoteJwksOptions } from '../src/index.js'
import { type FaultServer, startFaultServer } from './helpers/fault-server.js'

let server: FaultServer
let key: TestKey
let rotated: TestKey
let counter = 0
let path = ''

beforeAll(async () => {
  server = await startFaultServer()
  key = await makeKey('ES256', 'fresh-1')
  rotated = await makeKey('ES256', 'fresh-2')
})
afterAll(async () => {
  await server.close()
})
beforeEach(() => {
  path = `/fresh-${++counter}`
})
afterEach(() => {
  vi.useRealTimers()
})

function answer(res: ServerResponse, body: unknown, headers: Record<string, string> = {}, status = 200) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body))
}

function serveKeys(route: string, keys: TestKey[], headers: Record<string, string> = {}) {
  server.route(route, (_req, res) => answer(res, { keys: keys.map((k) => k.publicJwk) }, headers))
}

function remoteVerifier(options: RemoteJwksOptions = {}) {
  const jwks = createRemoteJwks(server.url(path), options)
  return { jwks, verifier: createTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks, cache: false }) }
}

/** Moves the clock (Date only: sockets and timers stay real). */
function clockAt(start: number) {
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(start)
  return (ms: number) => vi.setSystemTime(start + ms)
}

async function hitsSettle(route: string, expected: number) {
  await vi.waitFor(() => expect(server.hits(route)).toBe(expected), { timeout: 20_000, interval: 20 })
}

describe('a remote JWKS honours its Cache-Control', () => {
  it('refreshes after a max-age shorter than maxAge, and not before', async () => {
    serveKeys(path, [key], { 'cache-control': 'public, max-age=120' })
    const { verifier } = remoteVerifier()
    const token = await sign(key, { exp: Math.floor(Date.now() / 1000) + 3600 })
    const at = clockAt(Date.now())
    await verifier.verify(token)
    at(119_000)
    await verifier.verify(token)
    expect(server.hits(path)).toBe(1)
    at(121_000)
    await verifier.verify(token)
    await hitsSettle(path, 2)
  })

  it('never keeps keys past maxAge, however long max-age is', async () => {
    serveKeys(path, [key], { 'cache-control': 'max-age=86400' })
    const { verifier } = remoteVerifier({ maxAge: 300_000 })
    const token = await sign(key, { exp: Math.floor(Date.now() / 1000) + 3600 })
    const at = clockAt(Date.now())
    await verifier.verify(token)
    at(299_000)
    await verifier.verify(token)
    expect(server.hits(path)).toBe(1)
    at(301_000)
    await verifier.verify(token)
    await hitsSettle(path, 2)
  })

  it('does not fetch per request when the endpoint says no-store: minAge bounds it', async () => {
    serveKeys(path, [key], { 'cache-control': 'no-store' })
    const { verifier } = remoteVerifier({ minAge: 30_000 })
    const token = await sign(key, { exp: Math.floor(Date.now() / 1000) + 3600 })
    const at = clockAt(Date.now())
    for (let i = 0; i < 10; i++) {
      at(i * 2_000)
      await verifier.verify(token)
    }
    expect(server.hits(path)).toBe(1)
    at(31_000)
    await verifier.verify(token)
    await hitsSettle(path, 2)
  })

  it('picks up a rotation announced by a short max-age before the old keys’ time is up', async () => {
    serveKeys(path, [key], { 'cache-control': 'max-age=60' })
    const { verifier } = remoteVerifier({ cooldown: 3_600_000 })
    const at = clockAt(Date.now())
    await verifier.verify(await sign(key))
    serveKeys(path, [rotated], { 'cache-control': 'max-age=60' })
    at(61_000)
    // The stale keys still serve this request; the background refresh brings the new set.
    await verifier.verify(await sign(key))
    await hitsSettle(path, 2)
    await expect(verifier.verify(await sign(rotated))).resolves.toMatchObject({ sub: 'alice' })
    await expect(verifier.verify(await sign(key))).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' })
  })

  it('asks a failing endpoint at most once per errorBackoff while stale keys serve', async () => {
    serveKeys(path, [key], { 'cache-control': 'max-age=60' })
    const { verifier } = remoteVerifier({ errorBackoff: 10_000 })
    const token = await sign(key, { exp: Math.floor(Date.now() / 1000) + 3600 })
    const at = clockAt(Date.now())
    await verifier.verify(token)
    server.json(path, { error: 'down' }, 500)
    at(61_000)
    await verifier.verify(token)
    await hitsSettle(path, 2)
    // Let the failed refresh settle on our side too (a refresh still in flight would hide a retry).
    await new Promise((resolve) => setTimeout(resolve, 300))
    for (let i = 0; i < 5; i++) await expect(verifier.verify(token)).resolves.toMatchObject({ sub: 'alice' })
    await new Promise((resolve) => setTimeout(resolve, 300)) // time for a retry to arrive, were one sent
    expect(server.hits(path)).toBe(2)
    at(72_000)
    await verifier.verify(token)
    await hitsSettle(path, 3)
  })

  it('exports how long its keys stay fresh, and an import keeps that', async () => {
    serveKeys(path, [key], { 'cache-control': 'max-age=90' })
    const { jwks } = remoteVerifier()
    await jwks.ready()
    const snapshot = JSON.parse(JSON.stringify(jwks.export()))
    expect(snapshot.freshFor).toBe(90_000)
    const at = clockAt(snapshot.fetchedAt)
    const cold = createTokenVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: createRemoteJwks(server.url(path), { snapshot }),
      cache: false,
    })
    const token = await sign(key, { exp: Math.floor(Date.now() / 1000) + 3600 })
    at(80_000)
    await cold.verify(token)
    expect(server.hits(path)).toBe(1)
    at(91_000)
    await cold.verify(token)
    await hitsSettle(path, 2)
  })
})

describe('discovery metadata is refreshed', () => {
  function discoveryRoute(tenant: string) {
    return `/${tenant}/.well-known/openid-configuration`
  }

  it('follows a moved jwks_uri once the metadata is stale, loading the new set before using it', async () => {
    const tenant = `moving-${counter}`
    const issuer = `${server.base}/${tenant}`
    let jwksUri = server.url(`${path}-a`)
    serveKeys(`${path}-a`, [key])
    serveKeys(`${path}-b`, [rotated])
    server.route(discoveryRoute(tenant), (_req, res) =>
      answer(res, { issuer, jwks_uri: jwksUri }, { 'cache-control': 'max-age=3600' }),
    )
    const verifier = createTokenVerifier({ issuer, audience: AUDIENCE, discovery: true, cache: false })
    const at = clockAt(Date.now())
    await expect(verifier.verify(await sign(key, { iss: issuer }))).resolves.toMatchObject({ iss: issuer })
    jwksUri = server.url(`${path}-b`)
    at(3_599_000)
    await verifier.verify(await sign(key, { iss: issuer }))
    expect(server.hits(discoveryRoute(tenant))).toBe(1)
    at(3_601_000)
    // Stale metadata: this request is served from the old set while discovery runs again.
    await expect(verifier.verify(await sign(key, { iss: issuer }))).resolves.toMatchObject({ iss: issuer })
    await hitsSettle(discoveryRoute(tenant), 2)
    await hitsSettle(`${path}-b`, 1)
    await vi.waitFor(
      async () => {
        await expect(verifier.verify(await sign(rotated, { iss: issuer }))).resolves.toMatchObject({
          iss: issuer,
        })
      },
      { timeout: 20_000, interval: 20 },
    )
    expect(verifier.exportKeys()).toMatchObject({ metadata: { jwks_uri: jwksUri } })
  })

  it('keeps its key set (and its cache) when re-discovery announces the same jwks_uri, however spelt', async () => {
    const tenant = `steady-${counter}`
    const issuer = `${server.base}/${tenant}`
    serveKeys(path, [key], { 'cache-control': 'max-age=86400' })
    let spelling = server.url(path)
    server.route(discoveryRoute(tenant), (_req, res) =>
      answer(res, { issuer, jwks_uri: spelling }, { 'cache-control': 'max-age=60' }),
    )
    const verifier = createTokenVerifier({
      issuer,
      audience: AUDIENCE,
      discovery: { maxAge: 3_600_000 },
      cache: false,
    })
    const token = await sign(key, { iss: issuer, exp: Math.floor(Date.now() / 1000) + 3600 })
    const at = clockAt(Date.now())
    await verifier.verify(token)
    // The same URL with its scheme in capitals: equal once parsed.
    spelling = spelling.replace('http://', 'HTTP://')
    at(61_000)
    await verifier.verify(token)
    await hitsSettle(discoveryRoute(tenant), 2)
    await new Promise((resolve) => setTimeout(resolve, 300))
    await verifier.verify(token)
    expect(server.hits(path)).toBe(1)
  })

  it('keeps the metadata it has when re-discovery fails or names another issuer, and retries after errorBackoff', async () => {
    const tenant = `flaky-${counter}`
    const issuer = `${server.base}/${tenant}`
    serveKeys(path, [key])
    let mode: 'ok' | 'down' | 'mixup' = 'ok'
    server.route(discoveryRoute(tenant), (_req, res) => {
      if (mode === 'down') return answer(res, { error: 'down' }, {}, 500)
      answer(res, { issuer: mode === 'ok' ? issuer : 'https://evil.example', jwks_uri: server.url(path) })
    })
    const verifier = createTokenVerifier({
      issuer,
      audience: AUDIENCE,
      discovery: { metadataMaxAge: 60_000, errorBackoff: 10_000 },
      cache: false,
    })
    const token = await sign(key, { iss: issuer, exp: Math.floor(Date.now() / 1000) + 3600 })
    const at = clockAt(Date.now())
    await verifier.verify(token)
    mode = 'mixup'
    at(61_000)
    await expect(verifier.verify(token)).resolves.toMatchObject({ iss: issuer })
    await hitsSettle(discoveryRoute(tenant), 2)
    mode = 'down'
    await new Promise((resolve) => setTimeout(resolve, 300))
    for (let i = 0; i < 3; i++) await expect(verifier.verify(token)).resolves.toMatchObject({ iss: issuer })
    await new Promise((resolve) => setTimeout(resolve, 300)) // time for a retry to arrive, were one sent
    expect(server.hits(discoveryRoute(tenant))).toBe(2)
    at(72_000)
    await verifier.verify(token)
    // The RFC 8414 location is tried after the failed OpenID one.
    await hitsSettle(discoveryRoute(tenant), 3)
    expect(verifier.exportKeys()).toMatchObject({ metadata: { issuer } })
  })
})

describe('cached verified tokens follow the key set', () => {
  it('drops a cached token once its key has left the refreshed set (security review #6)', async () => {
    serveKeys(path, [key, rotated])
    const jwks = createRemoteJwks(server.url(path))
    const verifier = createTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks })
    const token = await sign(key, { sub: 'cached' })
    const other = await sign(rotated, { sub: 'kept' })
    await expect(verifier.verify(token)).resolves.toMatchObject({ sub: 'cached' })
    await expect(verifier.verify(other)).resolves.toMatchObject({ sub: 'kept' })
    expect(verifier.cached(token)).toMatchObject({ sub: 'cached' })

    // The issuer retires the key (compromised, rotated out) and the set is refreshed.
    serveKeys(path, [rotated])
    await jwks.refresh()
    expect(verifier.cached(token)).toBeUndefined()
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' })
    // A token of a key that stayed keeps its cache entry across the refresh.
    expect(verifier.cached(other)).toMatchObject({ sub: 'kept' })
  })

  it('keeps the cache entry, and the imported key, when a refresh returns the same keys', async () => {
    serveKeys(path, [key])
    const jwks = createRemoteJwks(server.url(path))
    const verifier = createTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks })
    const token = await sign(key)
    const claims = await verifier.verify(token)
    const [before] = jwks.current()
    await jwks.refresh()
    expect(jwks.current()[0]).toBe(before)
    expect(verifier.cached(token)).toBe(claims)
  })
})

describe('a refresh landing during a verification', () => {
  it('does not cache a token whose key left the set meanwhile (fresh-eyes review)', async () => {
    const old = await makeKey('ES256', 'race-old')
    const next = await makeKey('ES256', 'race-next')
    let body: unknown = { keys: [old.publicJwk] }
    // An in-process endpoint (no socket), so the background refresh lands during the signature check.
    const fetch = (async () =>
      Response.json(body, { headers: { 'cache-control': 'max-age=60' } })) as typeof globalThis.fetch
    const jwks = createRemoteJwks('https://issuer.example.test/jwks', { fetch, minAge: 0, maxAge: 60_000 })
    await jwks.ready()
    const verifier = createTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks })
    const token = await sign(old, { exp: Math.floor(Date.now() / 1000) + 3600 })
    // The keys go stale and the issuer removes `old`: the lookup serves the stale set and starts
    // a refresh in the background.
    clockAt(Date.now())(120_000)
    body = { keys: [next.publicJwk] }
    await verifier.verify(token)
    await vi.waitFor(() => expect(jwks.current().map((k) => k.kid)).toEqual(['race-next']))
    expect(verifier.cached(token)).toBeUndefined()
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' })
  })
})
