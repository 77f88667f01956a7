import { makeKey, nowSeconds } from '@org/test-kit/keys'
import { SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import { BACKCHANNEL_LOGOUT_EVENT, createIdTokenValidator } from '../src/index.js'

// A logout token must never pass for an ID token (Back-Channel Logout §2.4, docs/security.md),
// also where no nonce is expected (a refresh response): refused by its typ and by its events claim.
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
