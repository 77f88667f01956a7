/**
 * Ceremonies recorded from Chromium's virtual authenticator (scripts/record-fixtures.ts),
 * replayed through the production path: the relying party issues the same challenges on the
 * same clock and nonce sequence, then verifies what the browser answered.
 */
import { describe, expect, it } from 'vitest'
import { FIXTURE_TEXT, FIXTURE_USER } from './fixture-constants.js'
import { clone, fixtureParty, loadFixture, refused } from './helpers.js'

describe.each(['none', 'packed'] as const)('recorded ceremonies, attestation %s', (name) => {
  const fixture = loadFixture(name)

  it('registers, signs in usernameless and approves a transaction', async () => {
    const { passkeys, clock } = fixtureParty(fixture)
    const options = await passkeys.registrationOptions(FIXTURE_USER)
    expect(options.challenge).toBe(fixture.registration.options.challenge)
    expect(options.authenticatorSelection).toMatchObject({
      residentKey: 'required',
      userVerification: 'required',
    })
    const registered = await passkeys.verifyRegistration(FIXTURE_USER, fixture.registration.response)
    expect(registered).toMatchObject({
      id: fixture.registration.response.id,
      userId: FIXTURE_USER.id,
      attestationFormat: name,
      transports: ['internal'],
      lastUsedAt: null,
      createdAt: Math.floor(clock.ms / 1000),
    })
    expect(registered).not.toHaveProperty('publicKey')
    expect(registered.aaguid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-/)

    const signIn = await passkeys.authenticationOptions()
    expect(signIn.challenge).toBe(fixture.authentication.options.challenge)
    expect(signIn.allowCredentials).toEqual([])
    const signedIn = await passkeys.verifyAuthentication(fixture.authentication.response)
    expect(signedIn.userId).toBe(FIXTURE_USER.id)
    expect(signedIn.userVerified).toBe(true)
    expect(signedIn.credential.lastUsedAt).toBe(Math.floor(clock.ms / 1000))
    expect(signedIn.credential.counter).toBeGreaterThan(registered.counter)

    const transaction = await passkeys.transactionOptions(FIXTURE_USER, FIXTURE_TEXT)
    expect(transaction.challenge).toBe(fixture.transaction.options.challenge)
    expect(transaction.allowCredentials?.map((credential) => credential.id)).toEqual([registered.id])
    const approved = await passkeys.verifyTransaction(fixture.transaction.response)
    expect(approved).toMatchObject({ text: FIXTURE_TEXT, userId: FIXTURE_USER.id })
  })

  async function registered() {
    const party = fixtureParty(fixture)
    await party.passkeys.registrationOptions(FIXTURE_USER)
    await party.passkeys.verifyRegistration(FIXTURE_USER, fixture.registration.response)
    return party
  }

  it('refuses a registration replayed, or verified for another user', async () => {
    const { passkeys } = await registered()
    await refused(
      passkeys.verifyRegistration(FIXTURE_USER, fixture.registration.response),
      'ERR_PASSKEY_CREDENTIAL_EXISTS',
    )
    const other = fixtureParty(fixture)
    await other.passkeys.registrationOptions(FIXTURE_USER)
    await refused(
      other.passkeys.verifyRegistration({ id: 'someone-else', name: 'eve' }, fixture.registration.response),
      'ERR_PASSKEY_CHALLENGE_USER',
    )
  })

  it('refuses a challenge never issued here, reused, expired or for another ceremony', async () => {
    const fresh = fixtureParty(fixture)
    await refused(
      fresh.passkeys.verifyRegistration(FIXTURE_USER, fixture.registration.response),
      'ERR_PASSKEY_CHALLENGE_UNKNOWN',
    )

    const { passkeys, clock } = await registered()
    await passkeys.authenticationOptions()
    // The transaction's response answered to sign-in: its challenge is a transaction's.
    await refused(
      passkeys.verifyAuthentication(fixture.transaction.response),
      'ERR_PASSKEY_CHALLENGE_PURPOSE',
    )
    await passkeys.verifyAuthentication(fixture.authentication.response)
    await refused(
      passkeys.verifyAuthentication(fixture.authentication.response),
      'ERR_PASSKEY_CHALLENGE_USED',
    )

    await passkeys.transactionOptions(FIXTURE_USER, FIXTURE_TEXT)
    clock.ms += 300_001 + 1000
    await refused(passkeys.verifyTransaction(fixture.transaction.response), 'ERR_PASSKEY_CHALLENGE_EXPIRED')
  })

  it('refuses a ceremony from an origin not configured', async () => {
    const { passkeys } = fixtureParty({ origin: 'http://localhost:1' })
    await passkeys.registrationOptions(FIXTURE_USER)
    await refused(
      passkeys.verifyRegistration(FIXTURE_USER, fixture.registration.response),
      'ERR_PASSKEY_ORIGIN',
    )
  })

  it('refuses an unknown credential', async () => {
    const { passkeys } = fixtureParty(fixture)
    await passkeys.registrationOptions(FIXTURE_USER) // nonce 1, so sign-in gets nonce 2 as recorded
    await passkeys.authenticationOptions()
    await refused(
      passkeys.verifyAuthentication(fixture.authentication.response),
      'ERR_PASSKEY_UNKNOWN_CREDENTIAL',
    )
  })

  it('refuses a transaction approval rewritten to another text', async () => {
    const { passkeys } = await registered()
    await passkeys.authenticationOptions()
    const other = await passkeys.transactionOptions(FIXTURE_USER, 'Pay $5000 to Eve?')
    const forged = clone(fixture.transaction.response)
    const clientData = JSON.parse(
      Buffer.from(forged.response.clientDataJSON as string, 'base64url').toString(),
    )
    clientData.challenge = other.challenge
    forged.response.clientDataJSON = Buffer.from(JSON.stringify(clientData)).toString('base64url')
    await refused(passkeys.verifyTransaction(forged), 'ERR_PASSKEY_SIGNATURE')
  })

  it('refuses malformed and oversized input with typed errors', async () => {
    const { passkeys } = await registered()
    await passkeys.authenticationOptions()
    const response = fixture.authentication.response
    const withResponse = (patch: Record<string, unknown>) => ({
      ...response,
      response: { ...response.response, ...patch },
    })
    await refused(
      passkeys.verifyAuthentication({ ...response, rawId: `${response.id}A` }),
      'ERR_PASSKEY_ID_MISMATCH',
    )
    await refused(
      passkeys.verifyAuthentication(withResponse({ signature: 'not base64url!' })),
      'ERR_PASSKEY_MALFORMED',
    )
    await refused(
      passkeys.verifyAuthentication(withResponse({ clientDataJSON: 'e30x' })),
      'ERR_PASSKEY_MALFORMED',
    )
    await refused(
      passkeys.verifyAuthentication(withResponse({ authenticatorData: 'AAAA' })),
      'ERR_PASSKEY_MALFORMED',
    )
    await refused(
      passkeys.verifyAuthentication(withResponse({ signature: 'A'.repeat(10_000_000) })),
      'ERR_PASSKEY_TOO_LARGE',
    )
    await refused(
      passkeys.verifyAuthentication({ ...response, id: 'A'.repeat(2_000), rawId: 'A'.repeat(2_000) }),
      'ERR_PASSKEY_TOO_LARGE',
    )
    await refused(passkeys.verifyAuthentication(null), 'ERR_PASSKEY_MALFORMED')
    await refused(passkeys.verifyAuthentication('{}'), 'ERR_PASSKEY_MALFORMED')

    const fresh = fixtureParty(fixture)
    await fresh.passkeys.registrationOptions(FIXTURE_USER)
    const registration = fixture.registration.response
    await refused(
      fresh.passkeys.verifyRegistration(FIXTURE_USER, {
        ...registration,
        response: { ...registration.response, attestationObject: 'v_8A' },
      }),
      'ERR_PASSKEY_MALFORMED',
    )
    await refused(
      fresh.passkeys.verifyRegistration(FIXTURE_USER, {
        ...registration,
        response: { ...registration.response, attestationObject: 'A'.repeat(70_000) },
      }),
      'ERR_PASSKEY_TOO_LARGE',
    )
    // The recorded one still verifies: nothing above consumed its challenge.
    await expect(fresh.passkeys.verifyRegistration(FIXTURE_USER, registration)).resolves.toMatchObject({
      userId: FIXTURE_USER.id,
    })
  })
})
