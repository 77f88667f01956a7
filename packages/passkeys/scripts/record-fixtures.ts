/**
 * Records real WebAuthn ceremonies for the unit tests: headless Chromium with a CDP virtual
 * authenticator (CTAP2, internal transport, resident keys, user verification) on a page served
 * from http://localhost, against `createPasskeys` itself with a fixed clock and a fixed nonce
 * sequence, so the tests can issue the very same challenges and verify the recorded responses
 * through the production code path.
 *
 *   pnpm --filter @org/auth-passkeys record-fixtures      (CHROMIUM_PATH overrides /usr/bin/chromium)
 *
 * Writes test/fixtures/ceremony-none.json and ceremony-packed.json (attestation "direct", which
 * Chromium's virtual authenticator answers with a packed statement).
 */
import { writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { MemoryOneTimeStore } from '@org/auth-core'
import { chromium } from 'playwright-core'
import { createPasskeys, MemoryCredentialStore } from '../src/index.js'
import { FIXTURE_NOW, FIXTURE_TEXT, FIXTURE_USER, fixtureRandom } from '../test/fixture-constants.js'

const server = createServer((_request, response) => {
  response
    .writeHead(200, { 'content-type': 'text/html' })
    .end('<!doctype html><title>passkeys fixtures</title>')
})
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const origin = `http://localhost:${(server.address() as AddressInfo).port}`
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium' })

async function record(attestation: 'none' | 'direct'): Promise<Record<string, unknown>> {
  const page = await browser.newPage()
  await page.goto(`${origin}/`)
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('WebAuthn.enable')
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  })
  const passkeys = createPasskeys({
    rpId: 'localhost',
    rpName: 'Fixture RP',
    origins: [origin],
    credentials: new MemoryCredentialStore(),
    challenges: new MemoryOneTimeStore({ now: () => FIXTURE_NOW }),
    attestation,
    now: () => FIXTURE_NOW,
    random: fixtureRandom(),
  })
  const create = (options: unknown) =>
    page.evaluate(async (json) => {
      const P = PublicKeyCredential as unknown as {
        parseCreationOptionsFromJSON(o: unknown): PublicKeyCredentialCreationOptions
      }
      const credential = (await navigator.credentials.create({
        publicKey: P.parseCreationOptionsFromJSON(json),
      })) as PublicKeyCredential
      return (credential as unknown as { toJSON(): unknown }).toJSON()
    }, options)
  const get = (options: unknown) =>
    page.evaluate(async (json) => {
      const P = PublicKeyCredential as unknown as {
        parseRequestOptionsFromJSON(o: unknown): PublicKeyCredentialRequestOptions
      }
      const credential = (await navigator.credentials.get({
        publicKey: P.parseRequestOptionsFromJSON(json),
      })) as PublicKeyCredential
      return (credential as unknown as { toJSON(): unknown }).toJSON()
    }, options)

  const registrationOptions = await passkeys.registrationOptions(FIXTURE_USER)
  const registration = await create(registrationOptions)
  const registered = await passkeys.verifyRegistration(FIXTURE_USER, registration)
  const authenticationOptions = await passkeys.authenticationOptions()
  const authentication = await get(authenticationOptions)
  await passkeys.verifyAuthentication(authentication)
  const transactionOptions = await passkeys.transactionOptions(FIXTURE_USER, FIXTURE_TEXT)
  const transaction = await get(transactionOptions)
  const approved = await passkeys.verifyTransaction(transaction)
  if (approved.text !== FIXTURE_TEXT) throw new Error('The recorded transaction did not verify')
  await page.close()
  return {
    recordedWith: `${browser.version()} (CDP virtual authenticator, ctap2/internal)`,
    origin,
    rpId: 'localhost',
    attestation,
    format: registered.attestationFormat,
    registration: { options: registrationOptions, response: registration },
    authentication: { options: authenticationOptions, response: authentication },
    transaction: { text: FIXTURE_TEXT, options: transactionOptions, response: transaction },
  }
}

try {
  for (const [attestation, file] of [
    ['none', 'ceremony-none.json'],
    ['direct', 'ceremony-packed.json'],
  ] as const) {
    const fixture = await record(attestation)
    writeFileSync(
      new URL(`../test/fixtures/${file}`, import.meta.url),
      `${JSON.stringify(fixture, null, 2)}\n`,
    )
    console.log(`${file}: attestation format ${String(fixture.format)}`)
  }
} finally {
  await browser.close()
  server.close()
}
