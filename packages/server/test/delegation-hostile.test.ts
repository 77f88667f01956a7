/**
 * Hostile requests against the real service over HTTP, crafted with the SP's (or an attacker's)
 * keys. Each must be refused with a typed error (as the real client would surface it) and leave
 * the IdP unchanged: no store write, no replay-cache entry, no code sent.
 */
import {
  type DelegationKey,
  DelegationRefusedError,
  encryptEnvelope,
  importDelegationKey,
  openResponse,
  type RawAnswer,
  REQUEST_TYPE,
  RESPONSE_TYPE,
  randomIdentifier,
  signEnvelope,
  verifyEnvelope,
} from '@org/auth-core/delegation'
import { exportJWK, exportPKCS8, generateKeyPair } from 'jose'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createDelegationService, type DelegationEvent } from '../src/index.js'
import { type Harness, SP_ID, startHarness } from './helpers/harness.js'

let h: Harness
let attacker: DelegationKey
let attackerRaw: CryptoKey

beforeAll(async () => {
  h = await startHarness()
  const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
  attackerRaw = pair.privateKey
  attacker = await importDelegationKey(await exportPKCS8(pair.privateKey), 'sign', 'attacker')
})

afterAll(async () => {
  await h.close()
})

let before: string
beforeEach(() => {
  before = h.fingerprint()
})

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
const now = () => Math.floor(h.clock.now / 1000)

interface Crafted {
  body: string
  jti: string
}

interface CraftOptions {
  path?: string
  claims?: Record<string, unknown>
  params?: Record<string, unknown>
  signer?: DelegationKey
  /** Write the JWS by hand with this header (jose refuses some); signed with `raw` if given. */
  header?: Record<string, unknown>
  raw?: CryptoKey | 'hs256' | 'none'
}

async function craft(options: CraftOptions = {}): Promise<Crafted> {
  const path = options.path ?? '/v1/credentials'
  const jti = randomIdentifier()
  const payload = {
    iss: SP_ID,
    aud: h.baseUrl,
    htm: 'POST',
    htu: `${h.baseUrl}${path}`,
    iat: now(),
    exp: now() + 60,
    jti,
    params: options.params ?? { user_id: 'alice' },
    ...options.claims,
  }
  let jws: string
  if (options.header === undefined)
    jws = await signEnvelope(payload, REQUEST_TYPE, options.signer ?? h.imported.spSigner)
  else {
    const input = `${b64(options.header)}.${b64(payload)}`
    let signature = new Uint8Array(0)
    if (options.raw === 'hs256') {
      const secret = Buffer.from(h.imported.spSigner.publicJwk.x as string, 'base64url')
      const key = await crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, [
        'sign',
      ])
      signature = new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(input)))
    } else if (options.raw !== 'none') {
      const key = options.raw ?? h.imported.spSigner.key
      signature = new Uint8Array(await crypto.subtle.sign('Ed25519', key, new TextEncoder().encode(input)))
    }
    jws = `${input}.${Buffer.from(signature).toString('base64url')}`
  }
  return { body: await encryptEnvelope(jws, h.imported.idpRecipient), jti }
}

async function send(body: string, path = '/v1/credentials', init: RequestInit = {}): Promise<RawAnswer> {
  const response = await fetch(`${h.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/jose' },
    body,
    ...init,
  })
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    body: await response.text(),
  }
}

/** Opens an answer exactly as the client does, for the request `jti`: resolves a result or throws. */
function open(answer: RawAnswer, jti: string) {
  return openResponse(answer, {
    idpId: h.baseUrl,
    spId: SP_ID,
    requestJti: jti,
    decryptionKey: h.imported.spDecrypt,
    verificationKeys: [h.imported.idpVerify],
    now: now(),
    leeway: 30,
    maxLifetime: 300,
  })
}

/** Sends a crafted request; expects a refusal with `code` and an unchanged IdP. */
async function expectRefused(crafted: Crafted, code: string, path = '/v1/credentials'): Promise<RawAnswer> {
  const answer = await send(crafted.body, path)
  const error = await open(answer, crafted.jti).then(
    () => undefined,
    (e: Error) => e,
  )
  expect(error).toMatchObject({ code })
  expect(h.fingerprint()).toBe(before)
  return answer
}

/** The signed payload of a refusal the IdP could not encrypt (it did not authenticate the caller). */
async function signedRefusal(answer: RawAnswer): Promise<Record<string, unknown>> {
  expect(answer.body.split('.')).toHaveLength(3)
  return verifyEnvelope(answer.body, RESPONSE_TYPE, [h.imported.idpVerify])
}

describe('hostile requests to the delegation service', () => {
  it('a well-formed crafted request works (the harness is sound)', async () => {
    const crafted = await craft()
    await expect(open(await send(crafted.body), crafted.jti)).resolves.toMatchObject({ user_id: 'alice' })
    expect(h.writes.at(-1)).toBe('replay')
  })

  it('refuses a replayed request (same jti): no second code, no second session', async () => {
    const crafted = await craft({
      path: '/v1/mfa/initiate',
      params: { user_id: 'alice', method: 'email', email: 'alice@example.com' },
    })
    await expect(open(await send(crafted.body, '/v1/mfa/initiate'), crafted.jti)).resolves.toMatchObject({
      method: 'email',
    })
    before = h.fingerprint()
    const sent = h.sent.length
    const answer = await expectRefused(crafted, 'ERR_DELEGATION_REPLAYED', '/v1/mfa/initiate')
    expect(answer.status).toBe(409)
    expect(h.sent).toHaveLength(sent)
  })

  it('acts once on a request sent many times at once: one code, the others refused as replays', async () => {
    const crafted = await craft({
      path: '/v1/mfa/initiate',
      params: { user_id: 'bob', method: 'email', email: 'bob@example.com' },
    })
    const sent = h.sent.length
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => send(crafted.body, '/v1/mfa/initiate')),
    )
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, ...Array(9).fill(409)])
    expect(h.sent.length - sent).toBe(1)
  })

  it.each([
    ['expired', { iat: -400, exp: -340 }],
    ['issued in the future', { iat: 120, exp: 180 }],
    ['living too long', { iat: 0, exp: 3_600 }],
    ['with exp before iat', { iat: 0, exp: -1 }],
  ])('refuses a request %s', async (_, times) => {
    const crafted = await craft({ claims: { iat: now() + times.iat, exp: now() + times.exp } })
    await expectRefused(crafted, 'ERR_DELEGATION_REQUEST_STALE')
  })

  it.each([
    ['another audience', { aud: 'https://other-idp.example/delegation' }],
    ['an audience array', { aud: [] }],
    ['the htu of another operation', { htu: 'VERIFY' }],
    ['the htu of another host', { htu: 'https://evil.example/delegation/v1/credentials' }],
    ['another htm', { htm: 'GET' }],
  ])('refuses a request with %s', async (_, claims: Record<string, unknown>) => {
    const fixed = claims['htu'] === 'VERIFY' ? { htu: `${h.baseUrl}/v1/mfa/verify` } : claims
    await expectRefused(await craft({ claims: fixed }), 'ERR_DELEGATION_CLAIMS_REJECTED')
  })

  it('refuses a registered key claiming to be another provider (iss)', async () => {
    await expectRefused(await craft({ claims: { iss: 'another-sp' } }), 'ERR_DELEGATION_UNAUTHORIZED')
  })

  it('refuses a signature from an unregistered key, in a signed but unencrypted answer', async () => {
    const answer = await expectRefused(await craft({ signer: attacker }), 'ERR_DELEGATION_UNAUTHORIZED')
    expect(answer.status).toBe(401)
    const payload = await signedRefusal(answer)
    expect(payload).toMatchObject({ iss: h.baseUrl, error: 'unauthorized' })
    expect(payload).not.toHaveProperty('aud')
  })

  it('refuses a header-embedded jwk, even naming a registered kid', async () => {
    const jwk = await exportJWK(attackerRaw)
    const embedded = { kty: 'OKP', crv: 'Ed25519', x: jwk.x }
    for (const kid of [attacker.kid, h.imported.spSigner.kid]) {
      const crafted = await craft({
        header: { alg: 'EdDSA', typ: REQUEST_TYPE, kid, jwk: embedded },
        raw: attackerRaw,
      })
      await expectRefused(crafted, 'ERR_DELEGATION_MESSAGE_REJECTED')
    }
    for (const header of [
      { jku: 'https://evil.example/jwks' },
      { x5u: 'https://evil.example/c' },
      { x5c: ['MIIB'] },
    ]) {
      const crafted = await craft({
        header: { alg: 'EdDSA', typ: REQUEST_TYPE, kid: h.imported.spSigner.kid, ...header },
      })
      await expectRefused(crafted, 'ERR_DELEGATION_MESSAGE_REJECTED')
    }
  })

  it('refuses alg none, HS256 keyed with the public key, and unknown crit', async () => {
    const kid = h.imported.spSigner.kid
    await expectRefused(
      await craft({ header: { alg: 'none', typ: REQUEST_TYPE, kid }, raw: 'none' }),
      'ERR_DELEGATION_MESSAGE_REJECTED',
    )
    await expectRefused(
      await craft({ header: { alg: 'HS256', typ: REQUEST_TYPE, kid }, raw: 'hs256' }),
      'ERR_DELEGATION_MESSAGE_REJECTED',
    )
    await expectRefused(
      await craft({ header: { alg: 'EdDSA', typ: REQUEST_TYPE, kid, crit: ['urn:x'], 'urn:x': 1 } }),
      'ERR_DELEGATION_MESSAGE_REJECTED',
    )
    await expectRefused(
      await craft({ header: { alg: 'EdDSA', typ: RESPONSE_TYPE, kid } }),
      'ERR_DELEGATION_MESSAGE_REJECTED',
    )
  })

  it('refuses a malleable signature (S + L) of a genuine request', async () => {
    const jti = randomIdentifier()
    const payload = {
      iss: SP_ID,
      aud: h.baseUrl,
      htm: 'POST',
      htu: `${h.baseUrl}/v1/credentials`,
      iat: now(),
      exp: now() + 60,
      jti,
      params: { user_id: 'alice' },
    }
    const [head, body, sig] = (await signEnvelope(payload, REQUEST_TYPE, h.imported.spSigner)).split('.') as [
      string,
      string,
      string,
    ]
    const bytes = Buffer.from(sig, 'base64url')
    const L = 2n ** 252n + 27742317777372353535851937790883648493n
    const s = BigInt(`0x${Buffer.from(bytes.subarray(32)).reverse().toString('hex')}`)
    const malleable = Buffer.concat([
      bytes.subarray(0, 32),
      Buffer.from((s + L).toString(16).padStart(64, '0'), 'hex').reverse(),
    ])
    const body2 = await encryptEnvelope(
      `${head}.${body}.${malleable.toString('base64url')}`,
      h.imported.idpRecipient,
    )
    await expectRefused({ body: body2, jti }, 'ERR_DELEGATION_UNAUTHORIZED')
  })

  it.each([
    ['protected header', 0],
    ['encrypted key', 1],
    ['iv', 2],
    ['ciphertext', 3],
    ['tag', 4],
  ])('refuses a bit flipped in the JWE %s with a signed, unbound refusal', async (_, segment) => {
    const crafted = await craft()
    const parts = crafted.body.split('.')
    const bytes = Buffer.from(parts[segment]!, 'base64url')
    for (const index of [0, Math.floor(bytes.length / 2), bytes.length - 1]) {
      const flipped = Buffer.from(bytes)
      flipped[index] = (flipped[index] as number) ^ 0x01
      const copy = [...parts]
      copy[segment] = flipped.toString('base64url')
      const answer = await expectRefused(
        { body: copy.join('.'), jti: crafted.jti },
        'ERR_DELEGATION_RESPONSE_UNBOUND',
      )
      expect(answer.status).toBe(400)
      const payload = await signedRefusal(answer)
      expect(payload['error']).toBe('invalid_message')
      expect(payload).not.toHaveProperty('in_reply_to')
    }
  })

  it('refuses a low-order ephemeral key (Wycheproof x25519 tcId 63 and 32)', async () => {
    const crafted = await craft()
    const [header, ...rest] = crafted.body.split('.')
    for (const point of [
      'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
      '00'.repeat(32),
    ]) {
      const parsed = JSON.parse(Buffer.from(header!, 'base64url').toString())
      parsed.epk.x = Buffer.from(point, 'hex').toString('base64url')
      await expectRefused(
        { body: [b64(parsed), ...rest].join('.'), jti: crafted.jti },
        'ERR_DELEGATION_RESPONSE_UNBOUND',
      )
    }
  })

  it.each([
    [
      'a phone number that is not E.164',
      '/v1/mfa/initiate',
      { user_id: 'alice', method: 'sms', phone_number: '555-1234' },
    ],
    ['an invalid email', '/v1/mfa/initiate', { user_id: 'alice', method: 'email', email: 'alice@' }],
    ['an unknown method', '/v1/mfa/initiate', { user_id: 'alice', method: 'voice' }],
    ['an extra parameter', '/v1/credentials', { user_id: 'alice', admin: true }],
    ['a five-digit OTP', '/v1/mfa/verify', { user_id: 'alice', session_id: 'S'.repeat(43), otp: '12345' }],
    ['a non-string OTP', '/v1/mfa/verify', { user_id: 'alice', session_id: 'S'.repeat(43), otp: 123456 }],
    ['no user id', '/v1/credentials', {}],
    // Valid JSON ("\ud800"), not text: it made the otpauth URI throw, a 500 after storing the session.
    ['a user id with a lone surrogate', '/v1/mfa/initiate', { user_id: 'al\ud800ice', method: 'totp' }],
  ])('refuses %s sent past the client (ERR_DELEGATION_PARAMS_INVALID)', async (_, path, params) => {
    const crafted = await craft({ path, params })
    const answer = await send(crafted.body, path)
    await expect(open(answer, crafted.jti)).rejects.toMatchObject({ code: 'ERR_DELEGATION_PARAMS_INVALID' })
    // The request itself was authentic and fresh: only its jti is remembered.
    expect(h.writes.slice(JSON.parse(before)[0].length)).toEqual(['replay'])
    expect(h.sent.length).toBe(JSON.parse(before)[1])
  })

  it('answers wrong routes, methods, media types and sizes with signed refusals', async () => {
    const crafted = await craft()
    const cases: [string, RequestInit, number, string][] = [
      ['/v1/unknown', {}, 404, 'not_found'],
      ['/v1/credentials', { method: 'PUT' }, 405, 'invalid_message'],
      ['/v1/credentials', { headers: { 'content-type': 'application/json' } }, 415, 'invalid_message'],
      ['/v1/credentials', { body: 'x'.repeat(70 * 1024) }, 413, 'invalid_message'],
      ['/v1/credentials', { body: 'not.a.jwe' }, 400, 'invalid_message'],
    ]
    for (const [path, init, status, error] of cases) {
      const answer = await send(crafted.body, path, init)
      expect(answer.status, path).toBe(status)
      expect(answer.contentType).toBe('application/jose')
      await expect(signedRefusal(answer)).resolves.toMatchObject({ error })
    }
    expect(h.fingerprint()).toBe(before)
  })
})

describe('hostile answers reaching the real client', () => {
  it('refuses a genuine IdP answer replayed from another request', async () => {
    let recorded: Response | undefined
    const client = await h.makeClient({
      fetch: async (url, init) => {
        const response = await fetch(url, init)
        if (recorded === undefined) {
          recorded = response.clone()
          return response
        }
        return recorded.clone()
      },
    })
    await expect(client.getUserCredentials('alice')).resolves.toMatchObject({ userId: 'alice' })
    await expect(client.getUserCredentials('alice')).rejects.toMatchObject({
      code: 'ERR_DELEGATION_RESPONSE_MISMATCH',
    })
  })

  it('never trusts an unsigned error body, whatever it claims', async () => {
    const client = await h.makeClient({
      fetch: async () => Response.json({ error: 'too_many_attempts' }, { status: 429 }),
    })
    const error = await client
      .verifyMfaChange({ userId: 'alice', sessionId: 'S'.repeat(43), otp: '123456' })
      .catch((e) => e)
    expect(error).not.toBeInstanceOf(DelegationRefusedError)
    expect(error).toMatchObject({ code: 'ERR_DELEGATION_RESPONSE_UNSIGNED', status: 502 })
  })

  it('refuses answers when the client pins another IdP key', async () => {
    const other = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
    const client = await h.makeClient({ idpVerifyKey: await exportJWK(other.publicKey) })
    await expect(client.getUserCredentials('alice')).rejects.toMatchObject({
      code: 'ERR_DELEGATION_KEY_UNKNOWN',
    })
  })
})

describe('hostile bodies', () => {
  it('answers a body that breaks off mid-stream as a signed invalid_message, not a server error', async () => {
    const events: DelegationEvent[] = []
    const handler = await createDelegationService({
      baseUrl: 'https://idp.example.com/delegation',
      keys: { signingKey: h.idp.signingPrivatePem, encryptionKeys: h.idp.encryptionPrivatePem },
      registeredProviders: [
        { id: SP_ID, signingKeys: h.sp.signingPublicPem, encryptionKey: h.sp.encryptionPublicPem },
      ],
      onEvent: (event) => events.push(event),
    })
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('eyJhbGciOi'))
        controller.error(new Error('connection reset'))
      },
    })
    const response = await handler(
      new Request('https://idp.example.com/delegation/v1/credentials', {
        method: 'POST',
        headers: { 'content-type': 'application/jose' },
        body,
        duplex: 'half',
      } as RequestInit),
    )
    expect(response.status).toBe(400)
    const answer = { status: response.status, contentType: '', body: await response.text() }
    await expect(signedRefusal(answer)).resolves.toMatchObject({ error: 'invalid_message' })
    expect(events.map((event) => [event.type, 'code' in event ? event.code : ''])).toEqual([
      ['refused', 'ERR_DELEGATION_BODY_UNREADABLE'],
    ])
  })
})
