import { AUDIENCE, makeKey, sign, type TestKey } from '@org/test-kit/keys'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTokenVerifier, discoverIssuer } from '../src/index.js'
import { type FaultServer, startFaultServer } from './helpers/fault-server.js'

let server: FaultServer
let key: TestKey

beforeAll(async () => {
  server = await startFaultServer()
  key = await makeKey('ES256', 'disc')
  server.json('/keys', { keys: [key.publicJwk] })
})
afterAll(async () => {
  await server.close()
})

describe('discoverIssuer', () => {
  it('reads /.well-known/openid-configuration first', async () => {
    const issuer = `${server.base}/oidc`
    server.json('/oidc/.well-known/openid-configuration', { issuer, jwks_uri: server.url('/keys') })
    await expect(discoverIssuer(issuer)).resolves.toMatchObject({ issuer, jwks_uri: server.url('/keys') })
  })

  it('falls back to RFC 8414 /.well-known/oauth-authorization-server{path}', async () => {
    const issuer = `${server.base}/tenant-a`
    server.json('/.well-known/oauth-authorization-server/tenant-a', { issuer, jwks_uri: server.url('/keys') })
    await expect(discoverIssuer(issuer)).resolves.toMatchObject({ issuer })
    expect(server.hits('/tenant-a/.well-known/openid-configuration')).toBe(1)
  })

  it('refuses metadata that names another issuer, without trying the other location', async () => {
    const issuer = `${server.base}/mixup`
    server.json('/mixup/.well-known/openid-configuration', {
      issuer: 'https://evil.example',
      jwks_uri: server.url('/keys'),
    })
    await expect(discoverIssuer(issuer)).rejects.toMatchObject({ code: 'ERR_DISCOVERY_ISSUER_MISMATCH' })
    expect(server.hits('/.well-known/oauth-authorization-server/mixup')).toBe(0)
  })

  it('names both issuers when they differ (a trailing slash), and every ready() during the backoff keeps the cause', async () => {
    const issuer = `${server.base}/slash/`
    server.json('/slash/.well-known/openid-configuration', {
      issuer: `${server.base}/slash`,
      jwks_uri: server.url('/keys'),
    })
    const verifier = createTokenVerifier({ issuer, audience: AUDIENCE, discovery: { errorBackoff: 60_000 } })
    for (let attempt = 0; attempt < 2; attempt++) {
      const error = (await verifier.ready().catch((caught: unknown) => caught)) as Error & { cause?: Error }
      expect(error).toMatchObject({ code: 'ERR_DISCOVERY_FAILED', status: 503 })
      expect(error.cause).toMatchObject({ code: 'ERR_DISCOVERY_ISSUER_MISMATCH' })
      expect(error.message).toContain(`"${server.base}/slash", not the configured "${issuer}"`)
    }
    expect(server.hits('/slash/.well-known/openid-configuration')).toBe(1)
  })

  it('names a non-string issuer by its type, without converting it (found by the property test)', async () => {
    const issuer = `${server.base}/hostile`
    server.json('/hostile/.well-known/openid-configuration', { issuer: [{ toString: null }] })
    const error = await discoverIssuer(issuer).catch((caught: unknown) => caught)
    expect(error).toMatchObject({ code: 'ERR_DISCOVERY_ISSUER_MISMATCH' })
    expect((error as Error).message).toContain('names the issuer of type array, not the configured')
  })

  it('refuses non-object metadata and plain http off loopback', async () => {
    const issuer = `${server.base}/array`
    server.json('/array/.well-known/openid-configuration', [{ issuer }])
    await expect(discoverIssuer(issuer)).rejects.toMatchObject({ code: 'ERR_DISCOVERY_INVALID' })
    await expect(discoverIssuer('http://idp.example.com')).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTION',
    })
  })
})

describe('a verifier using discovery', () => {
  it('verifies through the discovered jwks_uri, exports a snapshot, and a cold start needs no fetch', async () => {
    const issuer = `${server.base}/full`
    server.json('/full/.well-known/openid-configuration', { issuer, jwks_uri: server.url('/keys') })
    const verifier = createTokenVerifier({ issuer, audience: AUDIENCE, discovery: true })
    await expect(verifier.verify(await sign(key, { iss: issuer }))).resolves.toMatchObject({ iss: issuer })
    const snapshot = JSON.parse(JSON.stringify(verifier.exportKeys()))
    const hits = server.hits('/full/.well-known/openid-configuration') + server.hits('/keys')
    const cold = createTokenVerifier({ issuer, audience: AUDIENCE, discovery: { snapshot } })
    await expect(cold.verify(await sign(key, { iss: issuer }))).resolves.toMatchObject({ iss: issuer })
    expect(server.hits('/full/.well-known/openid-configuration') + server.hits('/keys')).toBe(hits)
  })

  it('answers 503 while discovery fails, and fails fast during the back-off', async () => {
    const issuer = `${server.base}/broken`
    server.route('/broken/.well-known/openid-configuration', (_req, res) => res.writeHead(500).end())
    const verifier = createTokenVerifier({ issuer, audience: AUDIENCE, discovery: { errorBackoff: 60_000 } })
    const token = await sign(key, { iss: issuer })
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'ERR_DISCOVERY_FAILED', status: 503 })
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'ERR_DISCOVERY_FAILED', status: 503 })
    expect(server.hits('/broken/.well-known/openid-configuration')).toBe(1)
  })

  it('refuses a negative or non-numeric refresh interval when the verifier is created', () => {
    const issuer = `${server.base}/bad-options`
    for (const discovery of [
      { metadataMaxAge: -1 },
      { minAge: Number.NaN },
      { errorBackoff: Number.POSITIVE_INFINITY },
    ]) {
      expect(() => createTokenVerifier({ issuer, audience: AUDIENCE, discovery })).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
      )
    }
  })

  it('refuses metadata without jwks_uri', async () => {
    const issuer = `${server.base}/nokeys`
    server.json('/nokeys/.well-known/openid-configuration', { issuer })
    const verifier = createTokenVerifier({ issuer, audience: AUDIENCE, discovery: true })
    await expect(verifier.ready()).rejects.toMatchObject({ code: 'ERR_DISCOVERY_FAILED' })
  })
})
