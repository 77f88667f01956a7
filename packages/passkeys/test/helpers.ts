import { readFileSync } from 'node:fs'
import { MemoryOneTimeStore } from '@org/auth-core'
import { expect } from 'vitest'
import {
  createPasskeys,
  MemoryCredentialStore,
  PasskeyError,
  type PasskeyErrorCode,
  type PasskeysOptions,
} from '../src/index.js'
import { FIXTURE_NOW, fixtureRandom } from './fixture-constants.js'

export interface Fixture {
  origin: string
  rpId: string
  format: string
  registration: {
    options: { challenge: string }
    response: Record<string, unknown> & { id: string; response: Record<string, string> }
  }
  authentication: {
    options: { challenge: string }
    response: Record<string, unknown> & { id: string; response: Record<string, string> }
  }
  transaction: {
    text: string
    options: { challenge: string }
    response: Record<string, unknown> & { id: string; response: Record<string, string> }
  }
}

export function loadFixture(name: 'none' | 'packed'): Fixture {
  return JSON.parse(
    readFileSync(new URL(`./fixtures/ceremony-${name}.json`, import.meta.url), 'utf8'),
  ) as Fixture
}

/** A relying party on the fixtures' clock and nonce sequence; `clock.ms` may be moved by a test. */
export function fixtureParty(fixture: Pick<Fixture, 'origin'>, overrides: Partial<PasskeysOptions> = {}) {
  const clock = { ms: FIXTURE_NOW }
  const now = () => clock.ms
  const credentials = new MemoryCredentialStore()
  const passkeys = createPasskeys({
    rpId: 'localhost',
    rpName: 'Fixture RP',
    origins: [fixture.origin],
    credentials,
    challenges: new MemoryOneTimeStore({ now }),
    now,
    random: fixtureRandom(),
    ...overrides,
  })
  return { passkeys, credentials, clock }
}

/** A relying party on localhost for `origin`, in memory: what the handler tests build on. */
export function localParty(origin: string, overrides: Partial<PasskeysOptions> = {}) {
  return createPasskeys({
    rpId: 'localhost',
    rpName: 'Example',
    origins: [origin],
    credentials: new MemoryCredentialStore(),
    challenges: new MemoryOneTimeStore(),
    ...overrides,
  })
}

/** Asserts a typed refusal: a PasskeyError with this code (never an untyped throw). */
export async function refused(promise: Promise<unknown>, code: PasskeyErrorCode): Promise<PasskeyError> {
  const error = await promise.then(
    () => expect.fail(`expected ${code}, but it succeeded`),
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(PasskeyError)
  expect(error).toMatchObject({ code })
  return error as PasskeyError
}

export const clone = <T>(value: T): T => structuredClone(value)
