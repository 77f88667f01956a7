import { makeKey, nowSeconds } from '@org/test-kit/keys'
import { SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import { BACKCHANNEL_LOGOUT_EVENT, createIdTokenValidator } from '../src/index.js'

// Review finding (hardening): docs/security.md says a logout token can never pass for an ID token,
// but the ID-token validator refuses it only where a nonce is expected (the callback). Where none
// is (a refresh response), a logout token (typ logout+jwt, the logout `events` member) passes.
describe('a logout token offered as an ID token', () => {
  it('is refused even when no nonce is expected', async () => {
    const key = await makeKey('RS256')
    const now = nowSeconds()
    const token = await new SignJWT({
      iss: 'https://op.example.test',
      aud: 'rp-client',
      iat: now,
      exp: now + 120,
      jti: 'j',
      sub: 'alice',
      events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
    })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'logout+jwt' })
      .sign(key.privateKey)
    const validator = createIdTokenValidator({
      issuer: 'https://op.example.test',
      clientId: 'rp-client',
      jwks: { keys: [key.publicJwk] },
    })
    await expect(validator.validate(token)).rejects.toThrow()
  })
})
