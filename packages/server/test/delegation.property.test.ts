/**
 * The reference delegation service on hostile requests over HTTP: arbitrary methods, paths,
 * content types and bodies (JOSE-shaped or not), and authentic, correctly sealed requests whose
 * claims and operation parameters have odd values. Every request is answered below 500 with a
 * signed JOSE body naming a wire error, and none is reported as a server failure.
 */
import {
  decryptEnvelope,
  encryptEnvelope,
  REQUEST_TYPE,
  RESPONSE_TYPE,
  randomIdentifier,
  signEnvelope,
  verifyEnvelope,
} from '@org/auth-core/delegation'
import {
  b64urlSegment,
  canary,
  expectNoLeak,
  headerValue,
  oddJson,
  RUNS,
  sendableByNode,
} from '@org/test-kit/arbitraries'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Harness, SP_ID, startHarness } from './helpers/harness.js'

let h: Harness

beforeAll(async () => {
  h = await startHarness()
})
afterAll(async () => {
  await h.close()
})

const PATHS = ['/v1/mfa/initiate', '/v1/mfa/verify', '/v1/credentials'] as const
const now = () => Math.floor(h.clock.now / 1000)

/** The answer's payload, opened as far as the SP can: decrypted if sealed, then verified. */
async function answerPayload(body: string): Promise<Record<string, unknown>> {
  const jws = body.split('.').length === 5 ? await decryptEnvelope(body, [h.imported.spDecrypt]) : body
  return verifyEnvelope(jws, RESPONSE_TYPE, [h.imported.idpVerify])
}

/** Sends and checks: below 500, a signed answer, no failure event; returns the answer payload. */
async function expectAnswered(path: string, init: RequestInit, ...secrets: string[]) {
  const events = h.events.length
  const response = await fetch(`${h.baseUrl}${path}`, init)
  const body = await response.text()
  expect(response.status).toBeLessThan(500)
  expect(response.headers.get('content-type')).toBe('application/jose')
  const payload = await answerPayload(body)
  if (response.status >= 400) expect(payload['error']).toMatch(/^[a-z_]+$/)
  const failures = h.events.slice(events).filter((event) => event.type === 'failure')
  expect(failures).toEqual([])
  expectNoLeak(JSON.stringify(payload), ...secrets)
  return payload
}

describe('the delegation service on hostile HTTP requests', () => {
  it('arbitrary method, path, content type and body: a signed 4xx', async () => {
    const body = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc
        .array(fc.oneof(b64urlSegment, canary), { minLength: 3, maxLength: 5 })
        .map((parts) => parts.join('.')),
      oddJson.map((value) => JSON.stringify(value) ?? ''),
      fc.integer({ min: 60_000, max: 70_000 }).map((n) => 'a'.repeat(n)),
    )
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('POST', 'POST', 'GET', 'PUT', 'DELETE'),
        fc.oneof(
          fc.constantFrom(...PATHS),
          fc.constantFrom('/', '/v1', '/v1/mfa/initiate/x', '/v1/credentials?x=1'),
        ),
        fc.oneof(
          fc.constantFrom('application/jose', 'application/jose; charset=utf-8', 'APPLICATION/JOSE'),
          headerValue.filter((value) => value !== '' && sendableByNode(value)),
        ),
        body,
        async (method, path, type, text) => {
          const init: RequestInit = { method, headers: { 'content-type': type } }
          if (method !== 'GET') init.body = text
          await expectAnswered(path, init, ...(text.match(/Cx[A-Za-z0-9]{20,28}/g) ?? []))
        },
      ),
      { numRuns: RUNS.io },
    )
  })

  it('authentic sealed requests with odd claims and parameters: a signed answer, never a failure', async () => {
    const params = fc.oneof(
      oddJson,
      fc.record(
        {
          user_id: fc.oneof(fc.constantFrom('alice', 'bob', ''), oddJson),
          method: fc.oneof(fc.constantFrom('email', 'sms', 'totp', 'x'), oddJson),
          email: fc.oneof(fc.constantFrom('a@example.com', 'not-an-email'), oddJson),
          phone_number: fc.oneof(fc.constantFrom('+15551234567', '123'), oddJson),
          session_id: fc.oneof(fc.constant('S'.repeat(43)), oddJson),
          otp: fc.oneof(fc.constantFrom('123456', '12345', 'abcdef'), oddJson, canary),
        },
        { requiredKeys: [] },
      ),
    )
    const claims = fc.oneof(
      { weight: 3, arbitrary: fc.constant({}) },
      fc.dictionary(fc.constantFrom('iss', 'aud', 'htm', 'htu', 'iat', 'exp', 'jti'), oddJson, {
        maxKeys: 2,
      }),
    )
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...PATHS), params, claims, async (path, p, overrides) => {
        const payload = {
          iss: SP_ID,
          aud: h.baseUrl,
          htm: 'POST',
          htu: `${h.baseUrl}${path}`,
          iat: now(),
          exp: now() + 60,
          jti: randomIdentifier(),
          params: p,
          ...overrides,
        }
        const jws = await signEnvelope(payload, REQUEST_TYPE, h.imported.spSigner)
        const body = await encryptEnvelope(jws, h.imported.idpRecipient)
        const secrets = JSON.stringify(p).match(/Cx[A-Za-z0-9]{20,28}/g) ?? []
        await expectAnswered(
          path,
          { method: 'POST', headers: { 'content-type': 'application/jose' }, body },
          ...secrets,
        )
      }),
      { numRuns: RUNS.io },
    )
  })
})
