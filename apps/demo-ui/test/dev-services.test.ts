import { DelegationClient, MfaMethod } from '@org/auth-core/delegation'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type DevServices,
  demoSettings,
  devDelegationKeys,
  escapeHtml,
  startDevServices,
} from '../src/index.js'

let services: DevServices
beforeAll(async () => {
  services = await startDevServices()
})
afterAll(async () => {
  await services.close()
})

describe('dev delegation keys', () => {
  it('are the same in every process and differ per party and purpose', () => {
    const a = devDelegationKeys('express-demo')
    expect(devDelegationKeys('express-demo')).toEqual(a)
    expect(a.signing.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/)
    expect(a.signing.publicKeyPem).not.toBe(devDelegationKeys('hono-demo').signing.publicKeyPem)
    expect(a.encryption.publicKeyPem).not.toBe(a.signing.publicKeyPem)
  })
})

describe('the dev IdP hosting the delegation service', () => {
  it('serves each demo as a registered service provider, and sends email codes to the outbox', async () => {
    for (const name of ['express', 'hono', 'nest', 'next'] as const) {
      const client = await DelegationClient.fromKeys(
        demoSettings(name, { ISSUER: services.idp.issuer }).delegation,
      )
      await expect(client.getUserCredentials(`user-of-${name}`)).resolves.toMatchObject({ mfaMethod: null })
    }
    const client = await DelegationClient.fromKeys(
      demoSettings('express', { ISSUER: services.idp.issuer }).delegation,
    )
    const started = await client.initiateMfaChange({
      userId: 'bob',
      method: MfaMethod.Email,
      email: 'bob@example.test',
    })
    const sent = services.outbox.at(-1)
    expect(sent).toMatchObject({ method: 'email', to: 'bob@example.test', userId: 'bob' })
    await client.verifyMfaChange({ userId: 'bob', sessionId: started.sessionId, otp: sent?.code ?? '' })
    await expect(client.getUserCredentials('bob')).resolves.toMatchObject({ mfaMethod: 'email' })
  })

  it('refuses a service provider signing with keys it did not register', async () => {
    const settings = demoSettings('express', { ISSUER: services.idp.issuer })
    const impostor = devDelegationKeys('not-registered')
    const client = await DelegationClient.fromKeys({
      ...settings.delegation,
      spSigningKey: impostor.signing.privateKeyPem,
      spEncryptionKey: impostor.encryption.privateKeyPem,
    })
    await expect(client.getUserCredentials('alice')).rejects.toMatchObject({
      name: expect.stringMatching(/^Delegation/),
    })
  })
})

describe('escapeHtml', () => {
  it('escapes every character that can open markup or an attribute', () => {
    expect(escapeHtml(`<script>"x"&'y'</script>`)).toBe(
      '&lt;script&gt;&quot;x&quot;&amp;&#39;y&#39;&lt;/script&gt;',
    )
  })
})
