import { AUDIENCE, ISSUER, makeKey, sign, type TestKey } from '@org/test-kit/keys'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { createRemoteJwks, createTokenVerifier, type RemoteJwksOptions } from '../src/index.js'
import { type FaultServer, startFaultServer } from './helpers/fault-server.js'

let server: FaultServer
let key: TestKey
let other: TestKey
let path = ''
let counter = 0

beforeAll(async () => {
  server = await startFaultServer()
  key = await makeKey('RS256', 'good')
  other = await makeKey('ES256', 'other')
})
afterAll(async () => {
  await server.close()
})
beforeEach(() => {
  path = `/jwks-${++counter}` // a fresh endpoint per test, so hit counts are the test's own
})
afterEach(() => {
  vi.useRealTimers()
})

function verifierFor(options: RemoteJwksOptions = {}) {
  const jwks = createRemoteJwks(server.url(path), { errorBackoff: 0, ...options })
  return { jwks, verifier: createTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks, cache: false }) }
}

async function expectUnavailable(promise: Promise<unknown>, causeCode: string) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e as { code: string; status: number; retryAfter: number; cause: { code: string } },
  )
  expect(error).toMatchObject({ code: 'ERR_JWKS_UNAVAILABLE', status: 503 })
  expect(error?.retryAfter).toBeGreaterThanOrEqual(1)
  expect(error?.cause.code).toBe(causeCode)
}

describe('a well-behaved JWKS endpoint', () => {
  it('fetches once and serves many verifications', async () => {
    server.json(path, { keys: [key.publicJwk] })
    const { verifier } = verifierFor()
    for (let i = 0; i < 5; i++)
      await expect(verifier.verify(await sign(key))).resolves.toMatchObject({ sub: 'alice' })
    expect(server.hits(path)).toBe(1)
  })

  it('single-flight: 20 concurrent first requests cause one fetch', async () => {
    server.route(path, (_req, res) => {
      setTimeout(
        () =>
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ keys: [key.publicJwk] })),
        50,
      )
    })
    const { verifier } = verifierFor()
    const token = await sign(key)
    const results = await Promise.all(Array.from({ length: 20 }, () => verifier.verify(token)))
    expect(results).toHaveLength(20)
    expect(server.hits(path)).toBe(1)
  })

  it('refetches on an unknown kid at most once per cooldown', async () => {
    server.json(path, { keys: [key.publicJwk] })
    const { verifier } = verifierFor({ cooldown: 60_000 })
    await verifier.verify(await sign(key))
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 61_000)
    const unknown = await sign(other)
    await expect(verifier.verify(unknown)).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' })
    await expect(verifier.verify(unknown)).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' })
    await expect(verifier.verify(await sign(other, {}, { kid: 'random-1' }))).rejects.toMatchObject({
      code: 'ERR_JWKS_NO_MATCHING_KEY',
    })
    expect(server.hits(path)).toBe(2)
    // After the cooldown, a new key published by the issuer is picked up.
    server.json(path, { keys: [key.publicJwk, other.publicJwk] })
    vi.setSystemTime(Date.now() + 61_000)
    await expect(verifier.verify(unknown)).resolves.toMatchObject({ sub: 'alice' })
    expect(server.hits(path)).toBe(3)
  })

  it('serves the last good keys while the endpoint fails, up to maxStale', async () => {
    server.json(path, { keys: [key.publicJwk] })
    const { verifier } = verifierFor({ maxAge: 1_000, maxStale: 60_000 })
    const token = await sign(key, { exp: Math.floor(Date.now() / 1000) + 3600 })
    await verifier.verify(token)
    server.json(path, { error: 'down' }, 500)
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 30_000) // past maxAge: a background refresh is tried and fails
    await expect(verifier.verify(token)).resolves.toMatchObject({ sub: 'alice' })
    await vi.waitFor(() => expect(server.hits(path)).toBe(2), { timeout: 20_000, interval: 20 })
    await expect(verifier.verify(token)).resolves.toMatchObject({ sub: 'alice' })
    vi.setSystemTime(Date.now() + 31_000) // past maxStale: keys too old to trust without a refresh
    await expectUnavailable(verifier.verify(token), 'ERR_HTTP_STATUS')
  })

  it('exports its keys and a new instance imports them without fetching', async () => {
    server.json(path, { keys: [key.publicJwk, other.publicJwk] })
    const { jwks, verifier } = verifierFor()
    await verifier.ready()
    const snapshot = JSON.parse(JSON.stringify(jwks.export()))
    expect(snapshot.keys.map((k: { kid: string }) => k.kid)).toEqual(['good', 'other'])
    const coldStart = createTokenVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: createRemoteJwks(server.url(path), { snapshot }),
    })
    await expect(coldStart.verify(await sign(other))).resolves.toMatchObject({ sub: 'alice' })
    expect(server.hits(path)).toBe(1)
    expect(() => createRemoteJwks(server.url('/elsewhere'), { snapshot })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    )
  })
})

describe('a hostile or broken JWKS endpoint', () => {
  it('answering HTML', async () => {
    server.route(path, (_req, res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html>login</html>'),
    )
    await expectUnavailable(verifierFor().verifier.verify(await sign(key)), 'ERR_HTTP_CONTENT_TYPE')
  })
  it('answering 500', async () => {
    server.json(path, { error: 'boom' }, 500)
    await expectUnavailable(verifierFor().verifier.verify(await sign(key)), 'ERR_HTTP_STATUS')
  })
  it('answering a redirect, which is not followed', async () => {
    server.json('/real-jwks', { keys: [key.publicJwk] })
    server.route(path, (_req, res) => res.writeHead(302, { location: server.url('/real-jwks') }).end())
    await expectUnavailable(verifierFor().verifier.verify(await sign(key)), 'ERR_HTTP_STATUS')
    expect(server.hits('/real-jwks')).toBe(0)
  })
  it('answering a huge body, streamed without content-length', async () => {
    server.route(path, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write(`{"keys":[${JSON.stringify(key.publicJwk)}],"pad":"`)
      const chunk = 'x'.repeat(64 * 1024)
      for (let i = 0; i < 16; i++) res.write(chunk)
      res.end('"}')
    })
    await expectUnavailable(verifierFor().verifier.verify(await sign(key)), 'ERR_HTTP_TOO_LARGE')
  })
  it('declaring a huge content-length', async () => {
    server.route(path, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(50 * 1024 * 1024) })
      res.write('{"keys":[')
    })
    await expectUnavailable(verifierFor().verifier.verify(await sign(key)), 'ERR_HTTP_TOO_LARGE')
  })
  it('answering too slowly (timeout)', async () => {
    server.route(path, () => {}) // never answers
    await expectUnavailable(
      verifierFor({ timeout: 200 }).verifier.verify(await sign(key)),
      'ERR_HTTP_TIMEOUT',
    )
  })
  it('answering a JSON array, or malformed JSON', async () => {
    server.json(path, [key.publicJwk])
    await expectUnavailable(verifierFor().verifier.verify(await sign(key)), 'ERR_JWKS_INVALID')
    path = `${path}-b`
    server.route(path, (_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys":['),
    )
    await expectUnavailable(verifierFor().verifier.verify(await sign(key)), 'ERR_HTTP_INVALID_JSON')
  })
  it('with more keys than the cap', async () => {
    server.json(path, { keys: Array.from({ length: 40 }, (_, i) => ({ ...key.publicJwk, kid: `k${i}` })) })
    await expectUnavailable(verifierFor({ maxKeys: 32 }).verifier.verify(await sign(key)), 'ERR_JWKS_INVALID')
  })
  it('with duplicate kids: each key with that kid is tried, an unrelated signature still fails', async () => {
    const twin = await makeKey('RS256', 'good')
    const stranger = await makeKey('RS256', 'good')
    server.json(path, { keys: [key.publicJwk, twin.publicJwk] })
    const { verifier } = verifierFor()
    await expect(verifier.verify(await sign(key))).resolves.toMatchObject({ sub: 'alice' })
    await expect(verifier.verify(await sign(twin))).resolves.toMatchObject({ sub: 'alice' })
    await expect(verifier.verify(await sign(stranger))).rejects.toMatchObject({
      code: 'ERR_JWT_SIGNATURE_INVALID',
    })
  })
  it('publishing private or symmetric keys: those keys are skipped', async () => {
    const { exportJWK } = await import('jose')
    const leaked = await makeKey('ES256', 'leaked')
    const privateJwk = { ...(await exportJWK(leaked.privateKey)), kid: 'leaked', alg: 'ES256' }
    server.json(path, {
      keys: [key.publicJwk, privateJwk, { kty: 'oct', k: 'c2VjcmV0', kid: 'hmac', alg: 'HS256' }],
    })
    const { verifier, jwks } = verifierFor()
    await expect(verifier.verify(await sign(key))).resolves.toMatchObject({ sub: 'alice' })
    await expect(verifier.verify(await sign(leaked))).rejects.toMatchObject({
      code: 'ERR_JWKS_NO_MATCHING_KEY',
    })
    expect(jwks.export()?.keys.map((k) => k.kid)).toEqual(['good'])
  })
  it('keeps failing fast during errorBackoff instead of hammering the endpoint', async () => {
    server.json(path, { error: 'boom' }, 500)
    const { verifier } = verifierFor({ errorBackoff: 60_000 })
    const token = await sign(key)
    await expectUnavailable(verifier.verify(token), 'ERR_HTTP_STATUS')
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'ERR_JWKS_UNAVAILABLE' })
    expect(server.hits(path)).toBe(1)
  })
})

describe('configuration', () => {
  it('requires https except on loopback', () => {
    expect(() => createRemoteJwks('http://idp.example.com/jwks')).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    )
    expect(() =>
      createRemoteJwks('http://idp.example.com/jwks', { allowInsecureRequests: true }),
    ).not.toThrow()
    expect(() => createRemoteJwks('https://idp.example.com/jwks')).not.toThrow()
    expect(() => createRemoteJwks('ftp://idp.example.com/jwks')).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    )
  })
})
