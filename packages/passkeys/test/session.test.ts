/** The session glue: passkeys behind `createAuth`'s session, sign-in and step-up writing it. */
import { createAuth, MemoryOneTimeStore } from '@org/auth-core'
import { describe, expect, it } from 'vitest'
import { createPasskeys, createSessionPasskeyHandler, MemoryCredentialStore } from '../src/index.js'
import { assertWith, attest, FLAG, newCredential } from './soft-authenticator.js'

const ORIGIN = 'http://localhost:3000'

function setup(refused: string[] = []) {
  let now = 1_800_000_000_000
  const auth = createAuth({
    // Never reached: nothing here involves the provider.
    issuer: 'http://127.0.0.1:9/unreachable',
    clientId: 'app',
    session: { secrets: 'a-test-secret-that-is-long-enough-0123456789' },
    now: () => now,
  })
  const passkeys = createPasskeys({
    rpId: 'localhost',
    rpName: 'Example',
    origins: [ORIGIN],
    credentials: new MemoryCredentialStore(),
    challenges: new MemoryOneTimeStore(),
    now: () => now,
  })
  const handler = createSessionPasskeyHandler(auth, passkeys, {
    claims: (userId) => (refused.includes(userId) ? undefined : { sub: userId, name: `User ${userId}` }),
  })
  const jar = new Map<string, string>()
  const call = async (method: string, path: string, body?: unknown) => {
    const headers: Record<string, string> = { 'sec-fetch-site': 'same-origin' }
    if (jar.size > 0) headers['cookie'] = [...jar].map(([k, v]) => `${k}=${v}`).join('; ')
    if (body !== undefined) headers['content-type'] = 'application/json'
    const response = await handler(
      new Request(`${ORIGIN}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    )
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';')
      const eq = pair.indexOf('=')
      jar.set(pair.slice(0, eq), pair.slice(eq + 1))
    }
    return { status: response.status, body: await response.json() }
  }
  // Stands in for the OIDC login: a session for `sub`.
  const loginAs = async (sub: string) => {
    const established = await auth.signIn(
      new Request(`${ORIGIN}/x`, { method: 'POST', headers: { 'sec-fetch-site': 'same-origin' } }),
      { user: { sub, email: `${sub}@example.com` }, amr: ['pwd'] },
    )
    jar.clear()
    const [pair = ''] = (established.cookies[0] as string).split(';')
    jar.set(pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1))
  }
  const session = () =>
    auth.getSession(
      new Request(`${ORIGIN}/`, { headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } }),
    )
  return { call, jar, loginAs, session, tick: (ms: number) => (now += ms) }
}

describe('createSessionPasskeyHandler', () => {
  it('registers for the signed-in user only, then signs in with the passkey alone', async () => {
    const { call, jar, loginAs, session } = setup()
    expect((await call('POST', '/passkeys/register/options')).status).toBe(401)
    await loginAs('alice')
    const options = await call('POST', '/passkeys/register/options')
    expect(options.body.user).toMatchObject({ name: 'alice@example.com' })
    const credential = newCredential('alice')
    expect(
      (await call('POST', '/passkeys/register/verify', attest(credential, options.body, ORIGIN))).status,
    ).toBe(201)

    jar.clear() // signed out
    expect((await call('GET', '/passkeys/credentials')).status).toBe(401)
    const request = await call('POST', '/passkeys/authenticate/options')
    const signedIn = await call(
      'POST',
      '/passkeys/authenticate/verify',
      assertWith(credential, request.body, ORIGIN),
    )
    expect(signedIn.status).toBe(200)
    expect(signedIn.body.user).toMatchObject({
      sub: 'alice',
      name: 'User alice',
      iss: ORIGIN,
      amr: ['pop', 'user', 'mfa'],
      auth_time: 1_800_000_000,
    })
    expect((await session())?.user.sub).toBe('alice')
    expect((await call('GET', '/passkeys/credentials')).body.total).toBe(1)
  })

  it('steps up the session with the user own verified passkey only', async () => {
    const { call, loginAs, session, tick } = setup()
    await loginAs('alice')
    const alice = newCredential('alice')
    const created = await call('POST', '/passkeys/register/options')
    await call('POST', '/passkeys/register/verify', attest(alice, created.body, ORIGIN))
    await loginAs('bob')
    const bob = newCredential('bob')
    const bobCreated = await call('POST', '/passkeys/register/options')
    await call('POST', '/passkeys/register/verify', attest(bob, bobCreated.body, ORIGIN))

    await loginAs('alice')
    tick(600_000)
    const options = await call('POST', '/passkeys/step-up/options')
    expect(options.body.allowCredentials.map((c: { id: string }) => c.id)).toEqual([alice.id])
    // Bob's passkey cannot step up Alice's session, even on a usernameless challenge.
    const anyone = await call('POST', '/passkeys/authenticate/options')
    const wrong = await call('POST', '/passkeys/step-up/verify', assertWith(bob, anyone.body, ORIGIN))
    expect(wrong).toMatchObject({ status: 400, body: { error: 'ERR_PASSKEY_WRONG_USER' } })
    // A step-up needs UV, even if sign-ins do not.
    const again = await call('POST', '/passkeys/step-up/options')
    const noUv = await call(
      'POST',
      '/passkeys/step-up/verify',
      assertWith(alice, again.body, ORIGIN, { flags: FLAG.UP }),
    )
    expect(noUv.body.error).toBe('ERR_PASSKEY_USER_VERIFICATION')
    const fresh = await call('POST', '/passkeys/step-up/options')
    const stepped = await call('POST', '/passkeys/step-up/verify', assertWith(alice, fresh.body, ORIGIN))
    expect(stepped.status).toBe(200)
    expect((await session())?.user).toMatchObject({
      sub: 'alice',
      email: 'alice@example.com',
      amr: ['pop', 'user', 'mfa'],
      auth_time: 1_800_000_600,
    })
  })

  it('refuses a user the application turned down, writing no session', async () => {
    const { call, jar, loginAs } = setup(['mallory'])
    await loginAs('mallory')
    const credential = newCredential('mallory')
    const options = await call('POST', '/passkeys/register/options')
    await call('POST', '/passkeys/register/verify', attest(credential, options.body, ORIGIN))
    jar.clear()
    const request = await call('POST', '/passkeys/authenticate/options')
    const refused = await call(
      'POST',
      '/passkeys/authenticate/verify',
      assertWith(credential, request.body, ORIGIN),
    )
    expect(refused).toMatchObject({ status: 403, body: { error: 'ERR_LOGIN_REFUSED' } })
    expect(jar.size).toBe(0)
  })
})
