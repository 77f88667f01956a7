/**
 * Hostile private_key_jwt requests: replays (sequential and concurrent), every claim check, forged
 * algorithms and keys, mixed methods, and the wrong method for a client. Every refusal of the
 * assertion itself is the same 401 `invalid_client` with a fixed description; mixing methods is
 * `invalid_request` (RFC 6749 §2.3). Malformed assertions are fuzzed: never a 500.
 */

import fc from 'fast-check'
import { base64url, CompactSign, exportJWK, generateKeyPair, SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import {
  API,
  assertionRequest,
  INVALID_CLIENT,
  ISSUER,
  machine,
  read,
  registerKeyClient,
  setup,
  signAssertion,
  TOKEN_ENDPOINT,
} from './helpers/assertions.js'

const json = (value: unknown) => base64url.encode(JSON.stringify(value))

describe('private_key_jwt refusals', () => {
  it('accepts an assertion once', async () => {
    const { handler, client, clock } = await setup()
    const assertion = await signAssertion(client, clock.now())
    expect((await handler(assertionRequest(assertion))).status).toBe(200)
    expect(await read(await handler(assertionRequest(assertion)))).toMatchObject({
      status: 401,
      body: INVALID_CLIENT,
    })
    // Still refused at the very end of its validity, when only the replay record stops it.
    await clock.advance(85_000)
    expect((await handler(assertionRequest(assertion))).status).toBe(401)
  })

  it('gives exactly one token to 20 concurrent uses of one assertion', async () => {
    const { handler, client, clock } = await setup({ limits: { perClient: 100 } })
    const assertion = await signAssertion(client, clock.now())
    const responses = await Promise.all(
      Array.from({ length: 20 }, async () => read(await handler(assertionRequest(assertion)))),
    )
    expect(responses.filter((r) => r.status === 200)).toHaveLength(1)
    expect(responses.filter((r) => r.status === 401 && r.body.error === 'invalid_client')).toHaveLength(19)
  })

  it('refuses every claim RFC 7523 §3 rules out', async () => {
    const { handler, client, clock } = await setup({ limits: { perClient: 1000 } })
    const now = Math.floor(clock.now() / 1000)
    const cases: Array<[string, Record<string, unknown>]> = [
      ['aud of another server', { aud: 'https://other.example.com/m2m' }],
      ['aud of a resource', { aud: [API] }],
      ['aud with a trailing slash', { aud: `${ISSUER}/` }],
      ['no aud', { aud: undefined }],
      ['expired', { exp: now - 31, iat: now - 91 }],
      ['no exp', { exp: undefined }],
      ['exp far in the future', { exp: now + 400 }],
      ['exp not a number', { exp: `${now + 60}` }],
      ['not yet valid', { nbf: now + 60 }],
      ['issued in the future', { iat: now + 120, nbf: undefined }],
      ['no jti', { jti: undefined }],
      ['empty jti', { jti: '' }],
      ['jti not a string', { jti: 42 }],
      ['iss ≠ sub', { iss: 'oac_someoneelse00000000' }],
      ['no iss', { iss: undefined }],
      ['sub of another client', { sub: 'oac_someoneelse00000000' }],
    ]
    for (const [name, claims] of cases) {
      const assertion = await signAssertion(client, clock.now(), { claims })
      const response = await read(await handler(assertionRequest(assertion)))
      expect({ name, status: response.status, body: response.body }).toEqual({
        name,
        status: 401,
        body: INVALID_CLIENT,
      })
      expect(response.headers.get('www-authenticate')).toBeNull()
    }
    // A body client_id other than the assertion's: the same refusal.
    const other = await signAssertion(client, clock.now())
    expect(
      await read(await handler(assertionRequest(other, { client_id: 'oac_someoneelse00000000' }))),
    ).toMatchObject({ status: 401, body: INVALID_CLIENT })
  })

  it('refuses alg none, HS256, and keys the client never registered', async () => {
    const { handler, registry, client, clock } = await setup({ limits: { perClient: 1000 } })
    const now = Math.floor(clock.now() / 1000)
    const claims = {
      iss: client.clientId,
      sub: client.clientId,
      aud: ISSUER,
      jti: 'x',
      iat: now,
      exp: now + 60,
    }
    const publicJwk = await exportJWK(client.publicKey)
    const stranger = await generateKeyPair('ES256')
    const forged = [
      `${json({ alg: 'none' })}.${json(claims)}.`,
      `${json({ alg: 'none', kid: client.kid })}.${json(claims)}.`,
      await new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256' })
        .sign(new TextEncoder().encode('some string')),
      // The classic confusion: the public key's own text as an HMAC secret.
      await new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256', kid: client.kid })
        .sign(new TextEncoder().encode(JSON.stringify(publicJwk))),
      await signAssertion(client, clock.now(), { key: stranger.privateKey }),
      await signAssertion(client, clock.now(), { key: stranger.privateKey, header: { kid: undefined } }),
      // A key embedded in the header is never trusted.
      await signAssertion(client, clock.now(), {
        key: stranger.privateKey,
        header: { jwk: await exportJWK(stranger.publicKey) },
      }),
      // Signed by another registered client's key, claiming to be this client.
      await signAssertion(
        { ...(await registerKeyClient(registry, 'ES256')), clientId: client.clientId },
        clock.now(),
      ),
    ]
    for (const assertion of forged) {
      expect(await read(await handler(assertionRequest(assertion)))).toMatchObject({
        status: 401,
        body: INVALID_CLIENT,
      })
    }
  })

  it('does not let an unsigned copy burn the client’s jti', async () => {
    const { handler, client, clock } = await setup()
    const stranger = await generateKeyPair('ES256')
    const burn = await signAssertion(client, clock.now(), { key: stranger.privateKey, claims: { jti: 'j1' } })
    expect((await handler(assertionRequest(burn))).status).toBe(401)
    const genuine = await signAssertion(client, clock.now(), { claims: { jti: 'j1' } })
    expect((await handler(assertionRequest(genuine))).status).toBe(200)
  })

  it('keeps jti single use per client, not across clients', async () => {
    const { handler, registry, client, clock } = await setup()
    const second = await registerKeyClient(registry, 'EdDSA')
    for (const who of [client, second]) {
      const assertion = await signAssertion(who, clock.now(), { claims: { jti: 'shared' } })
      expect((await handler(assertionRequest(assertion))).status).toBe(200)
    }
  })

  it('refuses a disabled client, and secret clients’ assertions, and secrets for a key client', async () => {
    const { handler, registry, client, clock } = await setup()
    await registry.disable(client.clientId)
    expect((await handler(assertionRequest(await signAssertion(client, clock.now())))).status).toBe(401)
    await registry.enable(client.clientId)
    expect((await handler(assertionRequest(await signAssertion(client, clock.now())))).status).toBe(200)

    const secretClient = await registry.create(machine)
    const asSecretClient = await signAssertion({ ...client, clientId: secretClient.clientId }, clock.now())
    expect(await read(await handler(assertionRequest(asSecretClient)))).toMatchObject({
      status: 401,
      body: INVALID_CLIENT,
    })
    // A key client has no secret: neither secret method gets in, whatever is sent as one.
    const secretRequest = (body: Record<string, string>, headers: Record<string, string> = {}) =>
      new Request(TOKEN_ENDPOINT, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams({ grant_type: 'client_credentials', ...body }).toString(),
      })
    for (const request of [
      secretRequest({ client_id: client.clientId, client_secret: 'x' }),
      secretRequest({}, { authorization: `Basic ${btoa(`${client.clientId}:`)}` }),
      secretRequest({}, { authorization: `Basic ${btoa(`${client.clientId}:x`)}` }),
    ]) {
      expect(await read(await handler(request))).toMatchObject({ status: 401, body: INVALID_CLIENT })
    }
  })

  it('refuses mixed or incomplete methods with invalid_request', async () => {
    const { handler, registry, client, clock } = await setup()
    const { clientId, clientSecret } = await registry.create(machine)
    const assertion = await signAssertion(client, clock.now())
    const cases = [
      assertionRequest(assertion, {}, { authorization: `Basic ${btoa(`${clientId}:${clientSecret}`)}` }),
      assertionRequest(assertion, { client_secret: clientSecret as string }),
      assertionRequest(assertion, {
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer',
      }),
      assertionRequest(assertion, { client_assertion_type: '' }),
      assertionRequest('', {}),
    ]
    for (const request of cases) {
      expect(await read(await handler(request))).toMatchObject({
        status: 400,
        body: { error: 'invalid_request' },
      })
    }
    // None of these consumed the jti or counted as a success: the assertion still works once.
    expect((await handler(assertionRequest(assertion))).status).toBe(200)
  })

  it('counts failed assertions in the per-client throttle: 429 past it, yet a valid assertion passes', async () => {
    const { handler, client, clock } = await setup({ limits: { perClient: 2 } })
    const stranger = await generateKeyPair('ES256')
    const statuses: number[] = []
    for (let i = 0; i < 3; i++) {
      const bad = await signAssertion(client, clock.now(), { key: stranger.privateKey })
      statuses.push((await handler(assertionRequest(bad))).status)
    }
    expect(statuses).toEqual([401, 401, 429])
    // A client id is public: failures in its name must not shut the real client out.
    const good = await signAssertion(client, clock.now())
    expect((await handler(assertionRequest(good))).status).toBe(200)
  })

  it('never answers 500 to a malformed assertion (fuzzed)', async () => {
    const { handler, client } = await setup({ limits: { perClient: 1_000_000 } })
    const segment = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.jsonValue({ maxDepth: 2 }).map(json),
      fc.constantFrom(json({ alg: 'ES256', kid: client.kid }), json({ alg: 'none' }), json({ alg: 'HS256' })),
      fc.constantFrom(
        json({ sub: client.clientId, iss: client.clientId, aud: ISSUER, exp: 1e308, jti: 'a' }),
      ),
    )
    const assertion = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.array(segment, { minLength: 1, maxLength: 6 }).map((parts) => parts.join('.')),
    )
    await fc.assert(
      fc.asyncProperty(assertion, fc.option(fc.constant(client.clientId)), async (value, clientId) => {
        const response = await read(
          await handler(assertionRequest(value, clientId === null ? {} : { client_id: clientId })),
        )
        expect([400, 401]).toContain(response.status)
        expect(['invalid_client', 'invalid_request']).toContain(response.body.error)
      }),
      { numRuns: 300 },
    )
  })

  it('never answers 500 to a correctly signed assertion with arbitrary claim values (fuzzed)', async () => {
    const { handler, client, clock } = await setup({ limits: { perClient: 1_000_000 } })
    const now = Math.floor(clock.now() / 1000)
    const claim = (typical: unknown) =>
      fc.oneof(
        fc.constant(typical),
        fc.constant(undefined),
        fc.jsonValue({ maxDepth: 1 }),
        fc.double(),
        fc.integer({ min: -2 * now, max: 2 * now }),
      )
    const claims = fc.record({
      iss: claim(client.clientId),
      sub: claim(client.clientId),
      aud: claim(ISSUER),
      exp: claim(now + 60),
      nbf: claim(now),
      iat: claim(now),
      jti: claim('j'),
    })
    await fc.assert(
      fc.asyncProperty(claims, async (values) => {
        // Signed as raw JSON: jose's JWT builder would refuse the odd values before the server sees them.
        const payload = { ...values, jti: values.jti === 'j' ? crypto.randomUUID() : values.jti }
        const assertion = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
          .setProtectedHeader({ alg: client.alg, kid: client.kid })
          .sign(client.privateKey)
        const response = await read(await handler(assertionRequest(assertion)))
        if (response.status !== 200) {
          expect(response).toMatchObject({ status: 401, body: INVALID_CLIENT })
        }
      }),
      { numRuns: 150 },
    )
  })
})
