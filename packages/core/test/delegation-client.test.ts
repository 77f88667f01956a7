/**
 * The client against a scripted identity provider (fault injection: the real reference service
 * is exercised end to end in packages/server). The script decrypts and verifies each request with
 * the IdP's keys, then answers whatever the test wants, sealed or not.
 */
import { exportJWK, exportPKCS8, exportSPKI, generateKeyPair } from 'jose'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  DelegationClient,
  type DelegationClientOptions,
  DelegationInputError,
  type DelegationKey,
  DelegationRefusedError,
  decryptEnvelope,
  importDelegationKey,
  MfaMethod,
  REQUEST_TYPE,
  RESPONSE_TYPE,
  randomIdentifier,
  sealEnvelope,
  signEnvelope,
  verifyEnvelope,
} from '../src/delegation/index.js'
import { type FaultServer, readBody, startFaultServer } from './helpers/fault-server.js'

interface Keys {
  spSigningPem: string
  spEncryptionPem: string
  idpVerifyPem: string
  idpEncryptionPem: string
  idpSigner: DelegationKey
  idpDecrypt: DelegationKey
  spVerify: DelegationKey
  spRecipient: DelegationKey
}

async function makeKeys(): Promise<Keys> {
  const spEd = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
  const spX = await generateKeyPair('ECDH-ES+A256KW', { crv: 'X25519', extractable: true })
  const idpEd = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
  const idpX = await generateKeyPair('ECDH-ES+A256KW', { crv: 'X25519', extractable: true })
  return {
    spSigningPem: await exportPKCS8(spEd.privateKey),
    spEncryptionPem: await exportPKCS8(spX.privateKey),
    idpVerifyPem: await exportSPKI(idpEd.publicKey),
    idpEncryptionPem: await exportSPKI(idpX.publicKey),
    idpSigner: await importDelegationKey(await exportJWK(idpEd.privateKey), 'sign', 'idp'),
    idpDecrypt: await importDelegationKey(await exportJWK(idpX.privateKey), 'decrypt', 'idp'),
    spVerify: await importDelegationKey(await exportSPKI(spEd.publicKey), 'verify', 'sp'),
    spRecipient: await importDelegationKey(await exportSPKI(spX.publicKey), 'encrypt', 'sp'),
  }
}

/** A request as the scripted IdP sees it, after decryption and verification. */
interface SeenRequest {
  path: string
  claims: Record<string, unknown>
  params: Record<string, unknown>
}

type Answer = { status: number; body: string; contentType?: string } | 'hang' | 'destroy'
type Script = (request: SeenRequest, idp: ScriptedIdp) => Promise<Answer>

interface ScriptedIdp {
  server: FaultServer
  baseUrl: string
  seen: SeenRequest[]
  script: Script
  /** A sealed answer bound to `request`, with payload overrides. */
  sealed(request: SeenRequest, content: Record<string, unknown>, status?: number): Promise<Answer>
}

const SP_ID = 'sp-test'
let keys: Keys
let idp: ScriptedIdp

async function startScriptedIdp(): Promise<ScriptedIdp> {
  const server = await startFaultServer()
  const baseUrl = `${server.base}/delegation`
  const state: ScriptedIdp = {
    server,
    baseUrl,
    seen: [],
    script: async (request, self) => self.sealed(request, { result: {} }),
    async sealed(request, content, status = 200) {
      const now = Math.floor(Date.now() / 1000)
      const payload = {
        iss: baseUrl,
        aud: SP_ID,
        iat: now,
        exp: now + 60,
        jti: randomIdentifier(),
        in_reply_to: request.claims['jti'],
        ...content,
      }
      return { status, body: await sealEnvelope(payload, RESPONSE_TYPE, keys.idpSigner, keys.spRecipient) }
    },
  }
  for (const path of ['/v1/mfa/initiate', '/v1/mfa/verify', '/v1/credentials']) {
    server.route(`/delegation${path}`, (req, res) => {
      void (async () => {
        const jws = await decryptEnvelope(await readBody(req), [keys.idpDecrypt])
        const claims = await verifyEnvelope(jws, REQUEST_TYPE, [keys.spVerify])
        const request = { path, claims, params: claims['params'] as Record<string, unknown> }
        state.seen.push(request)
        const answer = await state.script(request, state)
        if (answer === 'hang') return
        if (answer === 'destroy') return void req.socket.destroy()
        res
          .writeHead(answer.status, { 'content-type': answer.contentType ?? 'application/jose' })
          .end(answer.body)
      })()
    })
  }
  return state
}

function client(overrides: Partial<DelegationClientOptions> = {}): Promise<DelegationClient> {
  return DelegationClient.fromKeys({
    spSigningKey: keys.spSigningPem,
    spEncryptionKey: keys.spEncryptionPem,
    idpVerifyKey: keys.idpVerifyPem,
    idpEncryptionKey: keys.idpEncryptionPem,
    baseUrl: idp.baseUrl,
    spId: SP_ID,
    retryDelay: 1,
    ...overrides,
  })
}

const credentials = (userId: string) => ({
  user_id: userId,
  mfa_method: 'sms',
  email: null,
  phone_number: '+15551234567',
  updated_at: 1_700_000_000,
})

beforeAll(async () => {
  keys = await makeKeys()
})

afterEach(async () => {
  await idp?.server.close()
})

describe('DelegationClient against a scripted identity provider', () => {
  it('sends a signed, encrypted request with every envelope claim, and reads a sealed answer', async () => {
    idp = await startScriptedIdp()
    idp.script = (request, self) =>
      self.sealed(request, {
        result: { session_id: 'S'.repeat(43), method: 'email', expires_at: 1_900_000_000 },
      })
    const c = await client()
    const session = await c.initiateMfaChange({
      userId: 'alice',
      method: MfaMethod.Email,
      email: 'Alice@Example.com',
    })
    expect(session).toEqual({
      sessionId: 'S'.repeat(43),
      method: 'email',
      expiresAt: new Date(1_900_000_000_000),
    })
    const [seen] = idp.seen
    expect(seen!.claims).toMatchObject({
      iss: SP_ID,
      aud: idp.baseUrl,
      htm: 'POST',
      htu: `${idp.baseUrl}/v1/mfa/initiate`,
      params: { user_id: 'alice', method: 'email', email: 'Alice@example.com' },
    })
    const { iat, exp, jti } = seen!.claims as { iat: number; exp: number; jti: string }
    expect(exp - iat).toBe(60)
    expect(jti).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })

  it('refuses an authentic session whose expires_at is past what a Date holds', async () => {
    idp = await startScriptedIdp()
    idp.script = (request, self) =>
      self.sealed(request, {
        result: { session_id: 'S'.repeat(43), method: 'email', expires_at: 8_640_000_000_001 },
      })
    const c = await client()
    await expect(
      c.initiateMfaChange({ userId: 'alice', method: MfaMethod.Email, email: 'alice@example.com' }),
    ).rejects.toMatchObject({ code: 'ERR_DELEGATION_MALFORMED' })
  })

  it('turns an authentic refusal into a typed error with its code', async () => {
    idp = await startScriptedIdp()
    idp.script = (request, self) => self.sealed(request, { error: 'otp_invalid', attempts_remaining: 2 }, 400)
    const c = await client()
    const error = await c
      .verifyMfaChange({ userId: 'alice', sessionId: 'S'.repeat(43), otp: '123456' })
      .catch((e) => e)
    expect(error).toBeInstanceOf(DelegationRefusedError)
    expect(error).toMatchObject({
      code: 'ERR_OTP_INVALID',
      error: 'otp_invalid',
      attemptsRemaining: 2,
      status: 400,
    })
    for (const [wire, code] of [
      ['session_expired', 'ERR_SESSION_EXPIRED'],
      ['too_many_attempts', 'ERR_TOO_MANY_ATTEMPTS'],
      ['constructor', 'ERR_DELEGATION_REFUSED'],
      ['<script>', 'ERR_DELEGATION_REFUSED'],
    ]) {
      idp.script = (request, self) => self.sealed(request, { error: wire }, 400)
      await expect(
        c.verifyMfaChange({ userId: 'alice', sessionId: 'S'.repeat(43), otp: '123456' }),
      ).rejects.toMatchObject({ code })
    }
  })

  it.each([
    [
      'an unsigned JSON error body',
      400,
      '{"error":"otp_invalid"}',
      'application/json',
      'ERR_DELEGATION_RESPONSE_UNSIGNED',
    ],
    ['a proxy HTML page', 502, '<html>Bad gateway</html>', 'text/html', 'ERR_DELEGATION_RESPONSE_UNSIGNED'],
    [
      'an unsigned JOSE-typed body',
      200,
      'eyJhbGciOiJub25lIn0.e30.',
      'application/jose',
      'ERR_DELEGATION_ALG_NOT_ALLOWED',
    ],
    ['garbage typed as JOSE', 200, 'not-jose', 'application/jose', 'ERR_DELEGATION_MALFORMED'],
  ])('never trusts %s', async (_, status, body, contentType, code) => {
    idp = await startScriptedIdp()
    idp.script = async () => ({ status, body, contentType })
    const c = await client()
    await expect(
      c.verifyMfaChange({ userId: 'alice', sessionId: 'S'.repeat(43), otp: '123456' }),
    ).rejects.toMatchObject({ code })
  })

  it('refuses a genuine answer replayed from another request', async () => {
    idp = await startScriptedIdp()
    let first: Answer | undefined
    idp.script = async (request, self) => {
      const answer = await self.sealed(request, { result: credentials('alice') })
      first ??= answer
      return first
    }
    const c = await client()
    await expect(c.getUserCredentials('alice')).resolves.toMatchObject({ mfaMethod: 'sms' })
    await expect(c.getUserCredentials('alice')).rejects.toMatchObject({
      code: 'ERR_DELEGATION_RESPONSE_MISMATCH',
    })
  })

  it('refuses answers that are not signed by a pinned key, or not for this client', async () => {
    idp = await startScriptedIdp()
    const intruder = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
    const intruderKey = await importDelegationKey(await exportJWK(intruder.privateKey), 'sign', 'x')
    const c = await client()
    const cases: [Script, string][] = [
      [
        async (request) => {
          const now = Math.floor(Date.now() / 1000)
          const payload = {
            iss: idp.baseUrl,
            aud: SP_ID,
            iat: now,
            exp: now + 60,
            jti: randomIdentifier(),
            in_reply_to: request.claims['jti'],
            result: credentials('alice'),
          }
          return {
            status: 200,
            body: await sealEnvelope(payload, RESPONSE_TYPE, intruderKey, keys.spRecipient),
          }
        },
        'ERR_DELEGATION_KEY_UNKNOWN',
      ],
      [
        (request, self) =>
          self.sealed(request, { iss: 'https://other-idp.example', result: credentials('alice') }),
        'ERR_DELEGATION_ISSUER_INVALID',
      ],
      [
        (request, self) => self.sealed(request, { aud: 'other-sp', result: credentials('alice') }),
        'ERR_DELEGATION_AUDIENCE_INVALID',
      ],
      [
        (request, self) => self.sealed(request, { iat: 1_000, exp: 1_060, result: credentials('alice') }),
        'ERR_DELEGATION_EXPIRED',
      ],
      [
        (request, self) => self.sealed(request, { in_reply_to: undefined, error: 'invalid_message' }, 400),
        'ERR_DELEGATION_RESPONSE_UNBOUND',
      ],
      [
        (request, self) => self.sealed(request, { result: credentials('mallory') }),
        'ERR_DELEGATION_MALFORMED',
      ],
      [
        (request, self) => self.sealed(request, { result: credentials('alice') }, 400),
        'ERR_DELEGATION_MALFORMED',
      ],
      // A safe integer of seconds past what a Date holds (found by the property test): not an
      // Invalid Date handed to the application, but a malformed answer.
      [
        (request, self) =>
          self.sealed(request, { result: { ...credentials('alice'), updated_at: 8_640_000_000_001 } }),
        'ERR_DELEGATION_MALFORMED',
      ],
      [
        (request, self) =>
          self.sealed(request, { result: { ...credentials('alice'), updated_at: Number.MAX_SAFE_INTEGER } }),
        'ERR_DELEGATION_MALFORMED',
      ],
      [
        async (request) => {
          const now = Math.floor(Date.now() / 1000)
          const payload = {
            iss: idp.baseUrl,
            aud: SP_ID,
            iat: now,
            exp: now + 60,
            jti: randomIdentifier(),
            in_reply_to: request.claims['jti'],
            result: credentials('alice'),
          }
          return { status: 200, body: await signEnvelope(payload, RESPONSE_TYPE, keys.idpSigner) }
        },
        'ERR_DELEGATION_RESPONSE_UNENCRYPTED',
      ],
    ]
    for (const [script, code] of cases) {
      idp.script = script
      await expect(c.getUserCredentials('alice', {}), code).rejects.toMatchObject({ code })
    }
  })

  it('accepts a signed but unencrypted refusal bound to the request (the IdP could not authenticate it)', async () => {
    idp = await startScriptedIdp()
    idp.script = async (request) => {
      const now = Math.floor(Date.now() / 1000)
      const payload = {
        iss: idp.baseUrl,
        iat: now,
        exp: now + 60,
        jti: randomIdentifier(),
        in_reply_to: request.claims['jti'],
        error: 'unauthorized',
      }
      return { status: 401, body: await signEnvelope(payload, RESPONSE_TYPE, keys.idpSigner) }
    }
    const c = await client()
    await expect(c.getUserCredentials('alice')).rejects.toMatchObject({ code: 'ERR_DELEGATION_UNAUTHORIZED' })
  })

  it('retries only the idempotent read, each time with a new jti', async () => {
    idp = await startScriptedIdp()
    let calls = 0
    idp.script = (request, self) =>
      ++calls < 3
        ? self.sealed(request, { error: 'server_error' }, 500)
        : self.sealed(request, { result: credentials('alice') })
    const c = await client()
    await expect(c.getUserCredentials('alice')).resolves.toMatchObject({ userId: 'alice', mfaMethod: 'sms' })
    expect(idp.seen).toHaveLength(3)
    expect(new Set(idp.seen.map((r) => r.claims['jti'])).size).toBe(3)

    idp.seen.length = 0
    idp.script = (request, self) => self.sealed(request, { error: 'server_error' }, 500)
    await expect(c.initiateMfaChange({ userId: 'alice', method: MfaMethod.Totp })).rejects.toMatchObject({
      code: 'ERR_DELEGATION_SERVER_ERROR',
    })
    await expect(
      c.verifyMfaChange({ userId: 'alice', sessionId: 'S'.repeat(43), otp: '123456' }),
    ).rejects.toMatchObject({
      code: 'ERR_DELEGATION_SERVER_ERROR',
    })
    expect(idp.seen).toHaveLength(2)

    idp.seen.length = 0
    idp.script = async () => 'destroy'
    await expect(
      c.verifyMfaChange({ userId: 'alice', sessionId: 'S'.repeat(43), otp: '123456' }),
    ).rejects.toMatchObject({
      code: 'ERR_HTTP_NETWORK',
    })
    await expect(c.getUserCredentials('alice')).rejects.toMatchObject({ code: 'ERR_HTTP_NETWORK' })
    expect(idp.seen).toHaveLength(1 + 3)
    // Refusals that a retry cannot change are not retried.
    idp.seen.length = 0
    idp.script = (request, self) => self.sealed(request, { error: 'unauthorized' }, 401)
    await expect(c.getUserCredentials('alice')).rejects.toMatchObject({ code: 'ERR_DELEGATION_UNAUTHORIZED' })
    expect(idp.seen).toHaveLength(1)
  })

  it('gives up after its timeout, and when the caller aborts', async () => {
    idp = await startScriptedIdp()
    idp.script = async () => 'hang'
    const c = await client({ timeout: 200, retries: 0 })
    await expect(c.getUserCredentials('alice')).rejects.toMatchObject({ code: 'ERR_HTTP_TIMEOUT' })
    const controller = new AbortController()
    const pending = c.getUserCredentials('alice', { signal: controller.signal })
    controller.abort()
    await expect(pending).rejects.toMatchObject({ code: 'ERR_HTTP_ABORTED' })
  })

  it('never follows a redirect and caps the answer size', async () => {
    idp = await startScriptedIdp()
    idp.server.route('/delegation/v1/credentials', (_req, res) => {
      res.writeHead(307, { location: 'https://attacker.example/' }).end()
    })
    const c = await client({ retries: 0 })
    await expect(c.getUserCredentials('alice')).rejects.toMatchObject({ code: 'ERR_HTTP_STATUS' })
    idp.server.route('/delegation/v1/credentials', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/jose' }).end('a'.repeat(70 * 1024))
    })
    await expect(c.getUserCredentials('alice')).rejects.toMatchObject({ code: 'ERR_HTTP_TOO_LARGE' })
  })

  it('validates input before sending anything', async () => {
    idp = await startScriptedIdp()
    const c = await client()
    const attempts: [() => Promise<unknown>, string][] = [
      [
        () => c.initiateMfaChange({ userId: 'alice', method: MfaMethod.Sms, phoneNumber: '555-1234' }),
        'ERR_PHONE_NUMBER_INVALID',
      ],
      [
        () => c.initiateMfaChange({ userId: 'alice', method: MfaMethod.Email, email: 'alice@' }),
        'ERR_EMAIL_INVALID',
      ],
      [
        () => c.initiateMfaChange({ userId: 'alice', method: 'voice' as MfaMethod }),
        'ERR_MFA_METHOD_INVALID',
      ],
      [
        () => c.verifyMfaChange({ userId: 'alice', sessionId: 'S'.repeat(43), otp: '12345' }),
        'ERR_OTP_MALFORMED',
      ],
      [() => c.verifyMfaChange({ userId: 'alice', sessionId: 'x', otp: '123456' }), 'ERR_SESSION_ID_INVALID'],
      [() => c.getUserCredentials(''), 'ERR_USER_ID_INVALID'],
    ]
    for (const [attempt, code] of attempts) {
      const error = await attempt().catch((e) => e)
      expect(error).toBeInstanceOf(DelegationInputError)
      expect(error).toMatchObject({ code })
    }
    expect(idp.seen).toHaveLength(0)
  })

  it('checks its options and keys in fromKeys', async () => {
    idp = await startScriptedIdp()
    await expect(client({ baseUrl: 'http://idp.example.com/delegation' })).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTION',
    })
    await expect(client({ baseUrl: `${idp.baseUrl}?x=1` })).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTION',
    })
    await expect(client({ spId: '' })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' })
    await expect(client({ retries: -1 })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' })
    await expect(client({ spSigningKey: keys.idpVerifyPem })).rejects.toMatchObject({
      code: 'ERR_INVALID_PRIVATE_KEY',
    })
    await expect(client({ idpEncryptionKey: keys.spEncryptionPem })).rejects.toMatchObject({
      code: 'ERR_INVALID_PUBLIC_KEY',
    })
    await expect(client({ idpVerifyKey: [keys.idpVerifyPem, keys.idpEncryptionPem] })).rejects.toThrow(
      /idpVerifyKey\[1\]/,
    )
  })
})
