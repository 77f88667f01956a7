/**
 * DelegationClient on whatever an identity provider (or something in front of it) answers:
 * unsigned bodies of any content type and status, JOSE-shaped garbage, and authentic sealed
 * answers whose claims and results have odd values. Each call returns a well-formed result or
 * rejects with an AuthError carrying a code; nothing in the answer is copied into the message.
 */

import {
  b64urlSegment,
  canary,
  expectClientError,
  expectNoLeak,
  oddJson,
  RUNS,
} from '@org/test-kit/arbitraries'
import fc from 'fast-check'
import { exportJWK, exportPKCS8, exportSPKI, generateKeyPair } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  DelegationClient,
  type DelegationKey,
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

const SP_ID = 'sp-prop'
let server: FaultServer
let baseUrl: string
let client: DelegationClient
let idpSigner: DelegationKey
let idpDecrypt: DelegationKey
let spVerify: DelegationKey
let spRecipient: DelegationKey

/** How the scripted IdP answers a request whose claims it read (set by each run). */
type Script = (
  claims: Record<string, unknown>,
) => Promise<{ status: number; contentType: string; body: string }>
let script: Script

beforeAll(async () => {
  const spEd = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
  const spX = await generateKeyPair('ECDH-ES+A256KW', { crv: 'X25519', extractable: true })
  const idpEd = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
  const idpX = await generateKeyPair('ECDH-ES+A256KW', { crv: 'X25519', extractable: true })
  idpSigner = await importDelegationKey(await exportJWK(idpEd.privateKey), 'sign', 'idp')
  idpDecrypt = await importDelegationKey(await exportJWK(idpX.privateKey), 'decrypt', 'idp')
  spVerify = await importDelegationKey(await exportSPKI(spEd.publicKey), 'verify', 'sp')
  spRecipient = await importDelegationKey(await exportSPKI(spX.publicKey), 'encrypt', 'sp')
  server = await startFaultServer()
  baseUrl = `${server.base}/delegation`
  for (const path of ['/v1/mfa/initiate', '/v1/mfa/verify', '/v1/credentials']) {
    server.route(`/delegation${path}`, (req, res) => {
      void (async () => {
        const jws = await decryptEnvelope(await readBody(req), [idpDecrypt])
        const answer = await script(await verifyEnvelope(jws, REQUEST_TYPE, [spVerify]))
        res.writeHead(answer.status, { 'content-type': answer.contentType }).end(answer.body)
      })()
    })
  }
  client = await DelegationClient.fromKeys({
    spSigningKey: await exportPKCS8(spEd.privateKey),
    spEncryptionKey: await exportPKCS8(spX.privateKey),
    idpVerifyKey: await exportSPKI(idpEd.publicKey),
    idpEncryptionKey: await exportSPKI(idpX.publicKey),
    baseUrl,
    spId: SP_ID,
    retryDelay: 0,
  })
})
afterAll(async () => {
  await server.close()
})

const STATUS = fc.oneof(
  { weight: 3, arbitrary: fc.constant(200) },
  fc.constantFrom(201, 400, 401, 404, 409, 429, 500, 503),
)
const JOSE = 'application/jose'

/** Epoch seconds, up to the edges of what a Date can hold and past them. */
const TIMES = fc.oneof(
  fc.constantFrom(1_900_000_000, 8_640_000_000_000, 8_640_000_000_001, Number.MAX_SAFE_INTEGER, -1, 0),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
)

/** Mostly the plausible value, sometimes an odd one. */
function likely<T>(plausible: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 4, arbitrary: plausible }, oddJson)
}

/** An authentic answer: claims of the right shape unless overridden, the content odd or plausible. */
const sealedAnswer = fc.record({
  status: STATUS,
  encrypt: fc.boolean(),
  claims: fc.oneof(
    { weight: 3, arbitrary: fc.constant({}) },
    fc.dictionary(fc.constantFrom('iss', 'aud', 'iat', 'exp', 'jti', 'in_reply_to'), oddJson, { maxKeys: 2 }),
  ),
  content: fc.oneof(
    fc.record({
      result: fc.oneof(
        oddJson,
        fc.record(
          {
            session_id: likely(fc.constant('S'.repeat(43))),
            method: fc.constantFrom('email', 'sms', 'totp', 'x'),
            expires_at: likely(TIMES),
            totp: fc.oneof(
              fc.record({
                otpauth_uri: fc.constant('otpauth://totp/x'),
                secret: fc.constant('JBSWY3DPEHPK3PXP'),
              }),
              oddJson,
            ),
            user_id: likely(fc.constant('alice')),
            mfa_method: likely(fc.constantFrom('email', 'sms', 'totp', null)),
            email: fc.oneof(likely(fc.constant(null)), canary),
            phone_number: likely(fc.constant(null)),
            updated_at: likely(fc.oneof(fc.constant(null), TIMES)),
          },
          {
            requiredKeys: [
              'session_id',
              'method',
              'expires_at',
              'user_id',
              'mfa_method',
              'email',
              'phone_number',
              'updated_at',
            ],
          },
        ),
      ),
    }),
    fc.record({
      error: fc.oneof(fc.constantFrom('otp_invalid', 'session_expired', 'constructor'), oddJson, canary),
      attempts_remaining: oddJson,
    }),
  ),
})

/** Something unsigned: any content type (the JOSE one too), any body. */
const unsignedAnswer = fc.record({
  status: STATUS,
  contentType: fc.constantFrom(JOSE, 'application/jose; charset=utf-8', 'application/json', 'text/html', ''),
  body: fc.oneof(
    fc.string({ maxLength: 60 }),
    oddJson.map((value) => JSON.stringify(value) ?? ''),
    fc.array(b64urlSegment, { minLength: 3, maxLength: 5 }).map((parts) => parts.join('.')),
    canary,
  ),
})

type SealedAnswer = typeof sealedAnswer extends fc.Arbitrary<infer T> ? T : never
type UnsignedAnswer = typeof unsignedAnswer extends fc.Arbitrary<infer T> ? T : never

/** The scripted IdP's reply to a request with these claims: the unsigned answer, or the answer sealed. */
async function reply(chosen: SealedAnswer | UnsignedAnswer, claims: Record<string, unknown>) {
  if ('body' in chosen) return chosen
  const { status, encrypt, claims: overrides, content } = chosen
  const now = Math.floor(Date.now() / 1000)
  const payload = {
    iss: baseUrl,
    ...(encrypt ? { aud: SP_ID } : {}),
    iat: now,
    exp: now + 60,
    jti: randomIdentifier(),
    in_reply_to: claims['jti'],
    ...content,
    ...overrides,
  }
  const body = encrypt
    ? await sealEnvelope(payload, RESPONSE_TYPE, idpSigner, spRecipient)
    : await signEnvelope(payload, RESPONSE_TYPE, idpSigner)
  return { status, contentType: JOSE, body }
}

function validDate(date: Date | null) {
  if (date !== null) expect(Number.isNaN(date.getTime())).toBe(false)
}

describe('DelegationClient on any answer', () => {
  it('a well-formed result or an AuthError with a code, for each operation', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(sealedAnswer, unsignedAnswer),
        fc.constantFrom('initiate', 'verify', 'credentials'),
        fc.constantFrom(MfaMethod.Email, MfaMethod.Sms, MfaMethod.Totp),
        async (answer, operation, method) => {
          const secrets: string[] = []
          script = async (claims) => {
            const sent = await reply(answer, claims)
            secrets.push(...(sent.body.match(/Cx[A-Za-z0-9]{20,28}/g) ?? []))
            return sent
          }
          const params =
            method === MfaMethod.Email
              ? { userId: 'alice', method, email: 'a@example.com' }
              : method === MfaMethod.Sms
                ? { userId: 'alice', method, phoneNumber: '+15551234567' }
                : { userId: 'alice', method }
          const call =
            operation === 'initiate'
              ? client.initiateMfaChange(params as never)
              : operation === 'verify'
                ? client.verifyMfaChange({ userId: 'alice', sessionId: 'S'.repeat(43), otp: '123456' })
                : client.getUserCredentials('alice')
          const outcome = await call.catch((error: unknown) => ({ error }))
          if ('error' in outcome) {
            const authError = expectClientError(outcome.error, () => true)
            expectNoLeak(authError.message, ...secrets)
          } else if ('sessionId' in outcome) {
            expect(outcome.method).toBe(method)
            validDate(outcome.expiresAt)
          } else {
            expect(outcome.userId).toBe('alice')
            validDate(outcome.updatedAt)
          }
        },
      ),
      { numRuns: RUNS.io * 2 },
    )
  })
})
