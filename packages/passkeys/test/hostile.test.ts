/**
 * Hostile ceremonies from a software authenticator that sets every flag, counter, origin and RP
 * ID hash, and signs what it changed: each refusal is a PasskeyError with its code.
 */
import { MemoryOneTimeStore } from '@org/auth-core'
import { describe, expect, it } from 'vitest'
import { createPasskeys, MemoryCredentialStore, type PasskeysOptions } from '../src/index.js'
import { refused } from './helpers.js'
import { assertWith, attest, FLAG, newCredential, type SoftCredential } from './soft-authenticator.js'

const ORIGIN = 'https://app.example.com'
const ALICE = { id: 'alice', name: 'alice@example.com' }
const BOB = { id: 'bob', name: 'bob@example.com' }

function party(overrides: Partial<PasskeysOptions> = {}) {
  const clock = { ms: Date.UTC(2026, 5, 1) }
  const now = () => clock.ms
  const credentials = new MemoryCredentialStore()
  const passkeys = createPasskeys({
    rpId: 'example.com',
    rpName: 'Example',
    origins: [ORIGIN],
    credentials,
    challenges: new MemoryOneTimeStore({ now }),
    now,
    ...overrides,
  })
  async function register(user: typeof ALICE): Promise<SoftCredential> {
    const credential = newCredential(user.id)
    const options = await passkeys.registrationOptions(user)
    await passkeys.verifyRegistration(user, attest(credential, options, ORIGIN))
    return credential
  }
  return { passkeys, credentials, clock, register }
}

describe('registration, hostile', () => {
  it('refuses a wrong origin, a wrong RP ID hash, UP=0, UV=0 and a wrong ceremony type', async () => {
    const { passkeys } = party()
    const credential = newCredential(ALICE.id)
    const cases = [
      [{ origin: 'https://evil.example.net' }, 'ERR_PASSKEY_ORIGIN'],
      [{ origin: 'https://example.com' }, 'ERR_PASSKEY_ORIGIN'],
      [{ rpId: 'evil.example.net' }, 'ERR_PASSKEY_RP_ID'],
      [{ flags: FLAG.UV | FLAG.AT }, 'ERR_PASSKEY_USER_PRESENCE'],
      [{ flags: FLAG.UP | FLAG.AT }, 'ERR_PASSKEY_USER_VERIFICATION'],
      [{ type: 'webauthn.get' }, 'ERR_PASSKEY_TYPE'],
    ] as const
    for (const [tamper, code] of cases) {
      const options = await passkeys.registrationOptions(ALICE)
      await refused(passkeys.verifyRegistration(ALICE, attest(credential, options, ORIGIN, tamper)), code)
    }
  })

  it('accepts UV=0 when user verification is only preferred', async () => {
    const { passkeys } = party({ userVerification: 'preferred' })
    const options = await passkeys.registrationOptions(ALICE)
    const registered = await passkeys.verifyRegistration(
      ALICE,
      attest(newCredential(ALICE.id), options, ORIGIN, { flags: FLAG.UP | FLAG.AT }),
    )
    expect(registered.userId).toBe(ALICE.id)
  })

  it('refuses a credential id registered to another user, and fills excludeCredentials', async () => {
    const { passkeys, register } = party()
    const credential = await register(ALICE)
    const options = await passkeys.registrationOptions(BOB)
    await refused(
      passkeys.verifyRegistration(BOB, attest(credential, options, ORIGIN)),
      'ERR_PASSKEY_CREDENTIAL_EXISTS',
    )
    const again = await passkeys.registrationOptions(ALICE)
    expect(again.excludeCredentials?.map((entry) => entry.id)).toEqual([credential.id])
  })

  it('lets one of two concurrent registrations of the same credential id win', async () => {
    const { passkeys, credentials } = party()
    const credential = newCredential(ALICE.id)
    const first = await passkeys.registrationOptions(ALICE)
    const second = await passkeys.registrationOptions(BOB)
    const results = await Promise.allSettled([
      passkeys.verifyRegistration(ALICE, attest(credential, first, ORIGIN)),
      passkeys.verifyRegistration(BOB, attest(credential, second, ORIGIN)),
    ])
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1)
    const loser = results.find((result) => result.status === 'rejected') as PromiseRejectedResult
    expect(loser.reason).toMatchObject({ code: 'ERR_PASSKEY_CREDENTIAL_EXISTS' })
    expect(
      (await credentials.list(ALICE.id, 0, 10)).total + (await credentials.list(BOB.id, 0, 10)).total,
    ).toBe(1)
  })

  it('refuses more than maxCredentialsPerUser', async () => {
    const { passkeys, register } = party({ maxCredentialsPerUser: 1 })
    await register(ALICE)
    await refused(passkeys.registrationOptions(ALICE), 'ERR_PASSKEY_LIMIT')
  })
})

describe('sign-in and transactions, hostile', () => {
  it('refuses UP=0, UV=0, a wrong RP ID hash and a wrong origin on an assertion', async () => {
    const { passkeys, register } = party()
    const credential = await register(ALICE)
    const cases = [
      [{ flags: FLAG.UV }, 'ERR_PASSKEY_USER_PRESENCE'],
      [{ flags: FLAG.UP }, 'ERR_PASSKEY_USER_VERIFICATION'],
      [{ rpId: 'example.org' }, 'ERR_PASSKEY_RP_ID'],
      [{ origin: 'https://evil.example.net' }, 'ERR_PASSKEY_ORIGIN'],
    ] as const
    for (const [tamper, code] of cases) {
      const options = await passkeys.authenticationOptions()
      await refused(passkeys.verifyAuthentication(assertWith(credential, options, ORIGIN, tamper)), code)
    }
  })

  it('refuses a counter that goes backwards, and two assertions with the same counter', async () => {
    const { passkeys, register } = party()
    const credential = await register(ALICE)
    credential.counter = 10
    await passkeys.verifyAuthentication(
      assertWith(credential, await passkeys.authenticationOptions(), ORIGIN),
    )
    const back = assertWith(credential, await passkeys.authenticationOptions(), ORIGIN, { counter: 5 })
    await refused(passkeys.verifyAuthentication(back), 'ERR_PASSKEY_COUNTER')
    const a = assertWith(credential, await passkeys.authenticationOptions(), ORIGIN, { counter: 12 })
    const b = assertWith(credential, await passkeys.authenticationOptions(), ORIGIN, { counter: 12 })
    const results = await Promise.allSettled([
      passkeys.verifyAuthentication(a),
      passkeys.verifyAuthentication(b),
    ])
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1)
    expect(
      (results.find((result) => result.status === 'rejected') as PromiseRejectedResult).reason,
    ).toMatchObject({
      code: 'ERR_PASSKEY_COUNTER',
    })
  })

  it('accepts counters that stay 0 (synced passkeys have none)', async () => {
    const { passkeys, register } = party()
    const credential = await register(ALICE)
    for (let i = 0; i < 2; i++) {
      const result = await passkeys.verifyAuthentication(
        assertWith(credential, await passkeys.authenticationOptions(), ORIGIN, { counter: 0 }),
      )
      expect(result.credential.counter).toBe(0)
    }
  })

  it("refuses another user's credential for a user-bound challenge, and a forged user handle", async () => {
    const { passkeys, register } = party()
    await register(ALICE)
    const bobs = await register(BOB)
    const options = await passkeys.authenticationOptions({ userId: ALICE.id })
    expect(options.allowCredentials).toHaveLength(1)
    await refused(passkeys.verifyAuthentication(assertWith(bobs, options, ORIGIN)), 'ERR_PASSKEY_WRONG_USER')
    const handle = Buffer.from(ALICE.id).toString('base64url')
    await refused(
      passkeys.verifyAuthentication(
        assertWith(bobs, await passkeys.authenticationOptions(), ORIGIN, { userHandle: handle }),
      ),
      'ERR_PASSKEY_WRONG_USER',
    )
    await refused(passkeys.transactionOptions(BOB, 'x'.repeat(1001)), 'ERR_PASSKEY_INVALID_TEXT')
    await refused(passkeys.transactionOptions({ id: 'nobody' }, 'Pay?'), 'ERR_PASSKEY_UNKNOWN_CREDENTIAL')
  })

  it('approves only the text signed, once, with user verification, by the user it was issued to', async () => {
    const { passkeys, register } = party()
    const alices = await register(ALICE)
    const bobs = await register(BOB)
    const pay = await passkeys.transactionOptions(ALICE, 'Pay $5 to Bob?')
    const approval = assertWith(alices, pay, ORIGIN)
    await expect(passkeys.verifyTransaction(approval)).resolves.toMatchObject({
      text: 'Pay $5 to Bob?',
      userId: ALICE.id,
    })
    await refused(passkeys.verifyTransaction(approval), 'ERR_PASSKEY_CHALLENGE_USED')
    // Bob signing Alice's transaction; Alice approving without UV; a sign-in challenge as a transaction.
    await refused(
      passkeys.verifyTransaction(assertWith(bobs, await passkeys.transactionOptions(ALICE, 'A'), ORIGIN)),
      'ERR_PASSKEY_WRONG_USER',
    )
    await refused(
      passkeys.verifyTransaction(
        assertWith(alices, await passkeys.transactionOptions(ALICE, 'B'), ORIGIN, { flags: FLAG.UP }),
      ),
      'ERR_PASSKEY_USER_VERIFICATION',
    )
    await refused(
      passkeys.verifyTransaction(assertWith(alices, await passkeys.authenticationOptions(), ORIGIN)),
      'ERR_PASSKEY_CHALLENGE_PURPOSE',
    )
    // A challenge made up by the client (never issued) in the transaction's format.
    const issued = await passkeys.transactionOptions(ALICE, 'Pay $5 to Bob?')
    const bytes = Buffer.from(issued.challenge, 'base64url')
    bytes[5] = (bytes[5] ?? 0) ^ 1
    await refused(
      passkeys.verifyTransaction(
        assertWith(alices, { challenge: bytes.toString('base64url'), rpId: 'example.com' }, ORIGIN),
      ),
      'ERR_PASSKEY_CHALLENGE_UNKNOWN',
    )
  })

  it('expires challenges after the timeout', async () => {
    const { passkeys, register, clock } = party({ timeout: 60_000 })
    const credential = await register(ALICE)
    const options = await passkeys.authenticationOptions()
    clock.ms += 62_000
    await refused(
      passkeys.verifyAuthentication(assertWith(credential, options, ORIGIN)),
      'ERR_PASSKEY_CHALLENGE_EXPIRED',
    )
  })

  it('refuses a signature made by another key', async () => {
    const { passkeys, register } = party()
    const credential = await register(ALICE)
    const impostor = { ...newCredential(ALICE.id), id: credential.id }
    await refused(
      passkeys.verifyAuthentication(assertWith(impostor, await passkeys.authenticationOptions(), ORIGIN)),
      'ERR_PASSKEY_SIGNATURE',
    )
  })
})
