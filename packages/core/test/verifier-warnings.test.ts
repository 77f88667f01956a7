import { AUDIENCE, makeKey, sign, type TestKey } from '@org/test-kit/keys'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { type AuthError, createTokenVerifier, KeysUnavailableError } from '../src/index.js'
import { warnOncePerCause } from '../src/lib/warn-once.js'
import { type FaultServer, startFaultServer } from './helpers/fault-server.js'

// When keys cannot be had, every request is a generic 503: the operator learns the cause from
// one warning per cause, which names the values to compare.
let server: FaultServer
let key: TestKey

beforeAll(async () => {
  server = await startFaultServer()
  key = await makeKey('ES256', 'warn')
  server.json('/keys', { keys: [key.publicJwk] })
})
afterAll(async () => {
  await server.close()
})

describe('onWarning', () => {
  it('warns once per cause, naming the issuer announced and the one configured', async () => {
    const issuer = `${server.base}/slash/`
    server.json('/slash/.well-known/openid-configuration', {
      issuer: `${server.base}/slash`,
      jwks_uri: server.url('/keys'),
    })
    const warnings: [string, AuthError][] = []
    const verifier = createTokenVerifier({
      issuer,
      audience: AUDIENCE,
      discovery: { errorBackoff: 0 },
      onWarning: (message, error) => warnings.push([message, error]),
    })
    const token = await sign(key, { iss: issuer })
    for (let i = 0; i < 5; i++) {
      await expect(verifier.verify(token)).rejects.toMatchObject({ status: 503 })
    }
    expect(server.hits('/slash/.well-known/openid-configuration')).toBeGreaterThanOrEqual(5)
    expect(warnings).toHaveLength(1)
    const [message, error] = warnings[0] as [string, AuthError]
    expect(message).toContain('ERR_DISCOVERY_FAILED < ERR_DISCOVERY_ISSUER_MISMATCH')
    expect(message).toContain(`names the issuer "${server.base}/slash", not the configured "${issuer}"`)
    expect(error.code).toBe('ERR_DISCOVERY_FAILED')
    expect(message).not.toContain(token)

    // Another cause is said once too.
    server.json('/slash/.well-known/openid-configuration', { error: 'gone' }, 500)
    for (let i = 0; i < 3; i++) await expect(verifier.verify(token)).rejects.toMatchObject({ status: 503 })
    expect(warnings).toHaveLength(2)
    expect(warnings[1]?.[0]).toMatch(/ERR_DISCOVERY_FAILED < ERR_HTTP_STATUS.*500/)
  })

  it('stays quiet once the keys load again', async () => {
    const warn = vi.fn()
    const verifier = createTokenVerifier({
      issuer: 'https://issuer.example.test',
      audience: AUDIENCE,
      jwks: server.url('/flaky-keys'),
      remote: { errorBackoff: 0, cooldown: 0 },
      onWarning: warn,
    })
    server.json('/flaky-keys', { error: 'down' }, 503)
    const token = await sign(key)
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'ERR_JWKS_UNAVAILABLE' })
    await expect(verifier.verify(await sign(key, { jti: 'b' }))).rejects.toMatchObject({ status: 503 })
    expect(warn).toHaveBeenCalledTimes(1)
    expect(warn.mock.calls[0]?.[0]).toContain('ERR_JWKS_UNAVAILABLE')
    server.json('/flaky-keys', { keys: [key.publicJwk] })
    await expect(verifier.verify(await sign(key, { jti: 'c' }))).resolves.toMatchObject({ sub: 'alice' })
    expect(warn).toHaveBeenCalledTimes(1)
  })

  it('says a cause again after a recovery', () => {
    const seen: string[] = []
    const warner = warnOncePerCause((message) => seen.push(message), 'https://i.example')
    const down = new KeysUnavailableError('ERR_JWKS_UNAVAILABLE', 'The JWKS endpoint is unavailable', 5)
    warner.report(down)
    warner.report(down)
    expect(seen).toHaveLength(1)
    warner.recovered()
    warner.report(down)
    expect(seen).toHaveLength(2)
  })

  it('masks URL credentials and keeps each warning on one printable line', () => {
    const seen: string[] = []
    const warner = warnOncePerCause((message) => seen.push(message), 'https://i.example')
    const cause = new Error(
      'Request cannot be constructed from https://svc:S3cr3tPass@host/keys\ninjected line',
    )
    warner.report(
      new KeysUnavailableError('ERR_JWKS_UNAVAILABLE', 'The JWKS endpoint is unavailable', 5, { cause }),
    )
    expect(seen[0]).toContain('https://***@host/keys?injected line')
    expect(seen[0]).not.toContain('S3cr3tPass')
  })

  it('refuses key URLs that carry credentials, at start-up', () => {
    for (const options of [{ jwks: 'https://svc:S3cr3t@idp.example/keys' }, { discovery: true }]) {
      const issuer = 'discovery' in options ? 'https://svc:S3cr3t@idp.example' : 'https://idp.example'
      expect(() => createTokenVerifier({ issuer, audience: 'a', ...options })).toThrow(
        expect.objectContaining({
          code: 'ERR_INVALID_OPTION',
          message: expect.stringContaining('credentials'),
        }),
      )
    }
  })

  it('logs with console.warn by default, and not at all with false', async () => {
    const spy = vi.spyOn(console, 'warn').mockImplementation(() => {})
    try {
      const issuer = `${server.base}/nowhere`
      const token = await sign(key, { iss: issuer })
      const loud = createTokenVerifier({ issuer, audience: AUDIENCE, discovery: { errorBackoff: 0 } })
      await expect(loud.verify(token)).rejects.toMatchObject({ status: 503 })
      await expect(loud.verify(token)).rejects.toMatchObject({ status: 503 })
      expect(spy).toHaveBeenCalledTimes(1)
      expect(spy.mock.calls[0]?.[0]).toContain(`no verification keys for issuer "${issuer}"`)
      const quiet = createTokenVerifier({
        issuer,
        audience: AUDIENCE,
        discovery: { errorBackoff: 0 },
        onWarning: false,
      })
      await expect(quiet.verify(token)).rejects.toMatchObject({ status: 503 })
      expect(spy).toHaveBeenCalledTimes(1)
    } finally {
      spy.mockRestore()
    }
  })

  it('refuses an onWarning that is neither a function nor false', () => {
    expect(() =>
      createTokenVerifier({
        issuer: 'https://i.example',
        audience: 'a',
        jwks: 'https://i.example/k',
        onWarning: 'yes' as never,
      }),
    ).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }))
  })
})
