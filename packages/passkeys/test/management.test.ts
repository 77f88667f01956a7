import { MemoryOneTimeStore } from '@org/auth-core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createPasskeys, MemoryCredentialStore, PasskeyError, type PasskeysOptions } from '../src/index.js'
import { FIXTURE_TEXT, FIXTURE_USER } from './fixture-constants.js'
import { fixtureParty, loadFixture, refused } from './helpers.js'
import { attest, newCredential } from './soft-authenticator.js'

const ORIGIN = 'http://localhost:3000'

function party(overrides: Partial<PasskeysOptions> = {}) {
  const clock = { ms: Date.UTC(2026, 5, 1) }
  const now = () => clock.ms
  const passkeys = createPasskeys({
    rpId: 'localhost',
    rpName: 'Example',
    origins: ORIGIN,
    credentials: new MemoryCredentialStore(),
    challenges: new MemoryOneTimeStore({ now }),
    now,
    ...overrides,
  })
  return { passkeys, clock }
}

describe('credential management', () => {
  it('lists with paging and totals, renames and deletes, scoped to the owner', async () => {
    const { passkeys, clock } = party()
    const ids: string[] = []
    for (let i = 0; i < 5; i++) {
      clock.ms += 1000
      const credential = newCredential('alice')
      await passkeys.verifyRegistration(
        { id: 'alice', name: 'alice' },
        attest(credential, await passkeys.registrationOptions({ id: 'alice', name: 'alice' }), ORIGIN),
      )
      ids.push(credential.id)
    }
    const page2 = await passkeys.listCredentials({ userId: 'alice', pageSize: 2, page: 2 })
    expect(page2).toMatchObject({ total: 5, page: 2, pageSize: 2 })
    expect(page2.credentials.map((credential) => credential.id)).toEqual(ids.slice(2, 4))
    expect(page2.credentials[0]).toMatchObject({
      name: 'Passkey',
      providerName: null,
      backupEligible: true,
      backedUp: true,
    })
    expect(
      (await passkeys.listCredentials({ userId: 'alice', pageSize: 2, page: 3 })).credentials,
    ).toHaveLength(1)
    expect(await passkeys.listCredentials({ userId: 'bob' })).toMatchObject({ total: 0, credentials: [] })

    const id = ids[0] as string
    await refused(
      passkeys.renameCredential(id, 'Mine now', { userId: 'bob' }),
      'ERR_PASSKEY_UNKNOWN_CREDENTIAL',
    )
    await refused(
      passkeys.renameCredential(id, 'bad\u0000name', { userId: 'alice' }),
      'ERR_PASSKEY_INVALID_TEXT',
    )
    await expect(passkeys.renameCredential(id, '  Work laptop ', { userId: 'alice' })).resolves.toMatchObject(
      { name: 'Work laptop' },
    )
    await expect(passkeys.getCredential(id)).resolves.toMatchObject({ name: 'Work laptop', userId: 'alice' })
    await refused(passkeys.deleteCredential(id, { userId: 'bob' }), 'ERR_PASSKEY_UNKNOWN_CREDENTIAL')
    await passkeys.deleteCredential(id, { userId: 'alice' })
    const error = await refused(passkeys.getCredential(id), 'ERR_PASSKEY_UNKNOWN_CREDENTIAL')
    expect(error.status).toBe(404)
    await expect(passkeys.listCredentials({ userId: 'alice' })).resolves.toMatchObject({ total: 4 })
  })

  it('names the provider from the AAGUID, with entries the application adds', async () => {
    const fixture = loadFixture('none')
    const probe = fixtureParty(fixture)
    await probe.passkeys.registrationOptions(FIXTURE_USER)
    const { aaguid } = await probe.passkeys.verifyRegistration(FIXTURE_USER, fixture.registration.response)
    const { passkeys } = fixtureParty(fixture, {
      providerNames: { [aaguid]: 'Chromium virtual authenticator' },
    })
    await passkeys.registrationOptions(FIXTURE_USER)
    const registered = await passkeys.verifyRegistration(FIXTURE_USER, fixture.registration.response)
    expect(registered).toMatchObject({
      providerName: 'Chromium virtual authenticator',
      name: 'Chromium virtual authenticator',
    })
  })
})

describe('logging', () => {
  it('logs ceremonies and refusals without challenges, keys, signatures or texts', async () => {
    const lines: unknown[] = []
    const logger = {
      debug: (...args: unknown[]) => lines.push(args),
      info: (...args: unknown[]) => lines.push(args),
      warn: (...args: unknown[]) => lines.push(args),
    }
    const fixture = loadFixture('packed')
    const { passkeys, credentials } = fixtureParty(fixture, { logger })
    const options = await passkeys.registrationOptions(FIXTURE_USER)
    await passkeys.verifyRegistration(FIXTURE_USER, fixture.registration.response)
    await passkeys.authenticationOptions()
    await passkeys.verifyAuthentication(fixture.authentication.response)
    await passkeys.verifyAuthentication(fixture.authentication.response).catch(() => undefined)
    await passkeys.transactionOptions(FIXTURE_USER, FIXTURE_TEXT)
    await passkeys.verifyTransaction(fixture.transaction.response)
    const stored = await credentials.get(fixture.registration.response.id)
    const output = JSON.stringify(lines)
    expect(output).toContain('ERR_PASSKEY_CHALLENGE_USED')
    expect(output).toContain('passkey registered')
    for (const secret of [
      options.challenge,
      fixture.authentication.options.challenge,
      fixture.transaction.options.challenge,
      stored?.publicKey,
      fixture.authentication.response.response.signature,
      FIXTURE_TEXT,
    ]) {
      expect(output).not.toContain(secret)
    }
  })
})

describe('arbitrary input', () => {
  it('ends every refusal of a mutated response in a PasskeyError', async () => {
    const fixture = loadFixture('none')
    const fields = [
      'id',
      'rawId',
      'type',
      'clientDataJSON',
      'authenticatorData',
      'signature',
      'userHandle',
    ] as const
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...fields),
        fc.oneof(
          fc.string(),
          fc.base64String(),
          fc.constant(null),
          fc.integer(),
          fc.object(),
          fc.array(fc.string()),
        ),
        async (field, value) => {
          const { passkeys } = fixtureParty(fixture)
          await passkeys.registrationOptions(FIXTURE_USER)
          await passkeys.verifyRegistration(FIXTURE_USER, fixture.registration.response)
          await passkeys.authenticationOptions()
          const response = structuredClone(fixture.authentication.response) as Record<string, unknown> & {
            response: Record<string, unknown>
          }
          if (field === 'id' || field === 'rawId' || field === 'type') response[field] = value
          else response.response[field] = value
          const outcome = await passkeys.verifyAuthentication(response).then(
            () => 'accepted',
            (error: unknown) => error,
          )
          // Only a value equal to the original can pass; anything else is a typed refusal.
          if (outcome !== 'accepted') expect(outcome).toBeInstanceOf(PasskeyError)
        },
      ),
      { numRuns: 150 },
    )
  })
})
