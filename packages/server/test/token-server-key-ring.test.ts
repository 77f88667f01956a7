/**
 * The token server signing with the rotating key ring: tokens issued before, across and after a
 * rotation all verify against the server's own JWKS, and the header names the key that signed.
 */
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import { describe, expect, it } from 'vitest'
import {
  createClientRegistry,
  createKeyRing,
  createMemoryClientStore,
  createMemoryKeyStore,
  createTokenServer,
} from '../src/index.js'

const ISSUER = 'https://auth.example.com'
const API = 'https://api.example.com/'

describe('token server on a key ring', () => {
  it('signs with the active key and publishes the next one before it signs', async () => {
    let now = 1_800_000_000_000
    const clock = () => now
    const registry = createClientRegistry({ store: createMemoryClientStore({ now: clock }), now: clock })
    const client = await registry.create({
      name: 'worker',
      clientType: 'confidential',
      grantTypes: ['client_credentials'],
      scopes: ['read'],
      audiences: [API],
    })
    const ring = createKeyRing({
      store: createMemoryKeyStore(),
      kek: new Uint8Array(32).fill(7),
      now: clock,
      publishBefore: 600,
      refreshInterval: 0,
    })
    const first = await ring.generate('EdDSA')
    const handler = createTokenServer({ issuer: ISSUER, clients: registry, keys: ring, now: clock })

    const issue = async () => {
      const response = await handler(
        new Request(`${ISSUER}/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'client_credentials',
            client_id: client.clientId,
            client_secret: client.clientSecret as string,
          }),
        }),
      )
      expect(response.status).toBe(200)
      return ((await response.json()) as { access_token: string }).access_token
    }
    const jwks = async () => (await (await handler(new Request(`${ISSUER}/jwks.json`))).json()) as never
    // Against the JWKS published now, at the time the token was issued (it lives 300 s).
    const verifies = async (token: string, issuedAt: number) => {
      const { payload } = await jwtVerify(token, createLocalJWKSet(await jwks()), {
        issuer: ISSUER,
        audience: API,
        currentDate: new Date(issuedAt),
        typ: 'at+jwt',
      })
      return payload.client_id
    }

    const start = now
    const before = await issue()
    expect(decodeProtectedHeader(before).kid).toBe(first.kid)
    const next = await ring.rotate('ES256')
    // Published at once, signing only after publishBefore: verifiers learn it first.
    expect((await jwks()) as { keys: { kid: string }[] }).toMatchObject({
      keys: expect.arrayContaining([expect.objectContaining({ kid: next.kid })]),
    })
    const during = await issue()
    expect(decodeProtectedHeader(during).kid).toBe(first.kid)
    now += 601_000
    const after = await issue()
    expect(decodeProtectedHeader(after).kid).toBe(next.kid)
    // After the switch the retired key is still published, so tokens it signed still verify.
    await expect(verifies(before, start)).resolves.toBe(client.clientId)
    await expect(verifies(during, start)).resolves.toBe(client.clientId)
    await expect(verifies(after, now)).resolves.toBe(client.clientId)
  })
})
