/**
 * requireAuth (Express) end to end through supertest on arbitrary `Authorization` values, sent
 * once or repeated: every refusal is RFC 6750 (400/401 JSON with a `Bearer` challenge) from
 * `authErrorHandler`, never a 5xx, never the token echoed.
 */
import { createTokenVerifier, type TokenVerifier } from '@org/auth-core'
import {
  authorizationValue,
  expectNoLeak,
  expectOAuthErrorBody,
  RUNS,
  sendableByNode,
} from '@org/test-kit/arbitraries'
import { AUDIENCE, ISSUER, makeKey, sign } from '@org/test-kit/keys'
import express from 'express'
import fc from 'fast-check'
import supertest from 'supertest'
import { beforeAll, describe, expect, it } from 'vitest'
import '../src/globals.js'
import { authErrorHandler, requireAuth } from '../src/index.js'

let verifier: TokenVerifier
let token: string
let app: express.Express

beforeAll(async () => {
  const key = await makeKey('ES256')
  verifier = createTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [key.publicJwk] } })
  token = await sign(key)
  app = express()
  app.use('/api', requireAuth(verifier))
  app.get('/api/me', (req, res) => {
    res.json({ sub: req.auth?.claims.sub })
  })
  app.use(authErrorHandler({ realm: 'api' }))
})

const value = fc.oneof(
  { weight: 4, arbitrary: authorizationValue.filter(sendableByNode) },
  fc.constantFrom('Bearer', 'bearer').map((scheme) => () => `${scheme} ${token}`),
  fc.constant(() => `Bearer ${token.slice(0, -2)}`),
)
const resolve = (input: string | (() => string)) => (typeof input === 'string' ? input : input())

describe('requireAuth (Express) on any Authorization header', () => {
  it('200 for the real token sent once, else an RFC 6750 400/401', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(value, { minLength: 1, maxLength: 2 }), async (inputs) => {
        const sent = inputs.map(resolve)
        // A list value makes Node send the header once per entry (supertest's types say string only).
        const res = await supertest(app)
          .get('/api/me')
          .set('Authorization', (sent.length === 1 ? sent[0] : sent) as string)
        if (res.status === 200) {
          expect(sent).toEqual([expect.stringMatching(/^bearer /i)])
          expect(res.body).toEqual({ sub: 'alice' })
          return
        }
        expect([400, 401]).toContain(res.status)
        expect(res.headers['www-authenticate']).toMatch(/^Bearer( |$)/)
        expectOAuthErrorBody(res.body)
        for (const header of sent) {
          expectNoLeak(res.text, header.slice(7))
          expectNoLeak(res.headers['www-authenticate'] ?? '', header.slice(7))
        }
        if (sent.length > 1) expect(res.status).toBe(400)
      }),
      { numRuns: RUNS.io * 2 },
    )
  })
})
