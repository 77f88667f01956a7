/** The session glue: passkeys behind `createAuth`'s session, sign-in and step-up writing it. */
import { createAuth } from '@org/auth-core'
import { describe, expect, it } from 'vitest'
import { createSessionPasskeyHandler } from '../src/index.js'
import { localParty } from './helpers.js'
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
  const passkeys = localParty(ORIGIN, { now: () => now })
  const handler = createSessionPasskeyHandler(auth, passkeys, {
    claims: (userId) => (refused.includes(userId) ? undefined : { sub: userId, name: `User ${userId}` }),
    now: () => now,
  })
  const jar = new Map<string, string>()
  const call = async (method: string, path: string, body?: unknown, extra: Record<string, string> = {}) => {
    const headers: Record<string, string> = { 'sec-fetch-site': 'same-origin', ...extra }
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

  it('adds and removes passkeys only within 10 minutes of a sign-in; a passkey step-up renews it', async () => {
    const { call, loginAs, tick } = setup()
    await loginAs('alice')
    const alice = newCredential('alice')
    const created = await call('POST', '/passkeys/register/options')
    expect(
      (await call('POST', '/passkeys/register/verify', attest(alice, created.body, ORIGIN))).status,
    ).toBe(201)

    // Past the window, what a stolen session cookie would be used for is refused, with where to sign in again.
    tick(601_000)
    const late = await call('POST', '/passkeys/register/options', undefined, {
      referer: `${ORIGIN}/passkeys`,
    })
    expect(late).toMatchObject({
      status: 401,
      body: { error: 'ERR_PASSKEY_REAUTHENTICATION_REQUIRED', max_age: 600 },
    })
    const login = new URL(late.body.login, ORIGIN)
    // A sign-in this fresh, not merely within the window (which a provider session could meet with seconds left).
    expect(login.searchParams.get('max_age')).toBe('60')
    expect(login.searchParams.get('returnTo')).toBe('/passkeys')
    const foreign = await call('POST', '/passkeys/register/options', undefined, {
      referer: 'https://evil.example/x',
    })
    expect(new URL(foreign.body.login, ORIGIN).searchParams.get('returnTo')).toBeNull()
    const removal = await call('DELETE', `/passkeys/credentials/${encodeURIComponent(alice.id)}`)
    expect(removal).toMatchObject({ status: 401, body: { error: 'ERR_PASSKEY_REAUTHENTICATION_REQUIRED' } })
    expect((await call('GET', '/passkeys/credentials')).body.total).toBe(1)

    // The user's own verified passkey renews the sign-in, and the change goes through.
    const stepUp = await call('POST', '/passkeys/step-up/options')
    expect(
      (await call('POST', '/passkeys/step-up/verify', assertWith(alice, stepUp.body, ORIGIN))).status,
    ).toBe(200)
    expect((await call('DELETE', `/passkeys/credentials/${encodeURIComponent(alice.id)}`)).status).toBe(200)
  })

  it('lets a registration begun in time finish within 5 minutes, not later', async () => {
    const { call, loginAs, tick } = setup()
    await loginAs('alice')
    tick(599_000)
    const begun = await call('POST', '/passkeys/register/options')
    expect(begun.status).toBe(200)
    tick(200_000) // 799 s after the sign-in: the ceremony began in time
    const inTime = await call(
      'POST',
      '/passkeys/register/verify',
      attest(newCredential('alice'), begun.body, ORIGIN),
    )
    expect(inTime.status).toBe(201)

    await loginAs('alice')
    tick(599_000)
    const slow = await call('POST', '/passkeys/register/options')
    tick(302_000) // 901 s: past the window and the grace
    const late = await call(
      'POST',
      '/passkeys/register/verify',
      attest(newCredential('alice'), slow.body, ORIGIN),
    )
    expect(late).toMatchObject({ status: 401, body: { error: 'ERR_PASSKEY_REAUTHENTICATION_REQUIRED' } })
  })

  it('refuses the change for a session with no auth_time, unless turned off', async () => {
    // A provider that sent no auth_time: nothing says the sign-in is recent.
    const auth = {
      getSession: async () => ({ user: { sub: 'alice' }, expiresAt: 2_000_000_000 }),
      loginUrl: (_request: unknown, returnTo?: string, requirement?: { maxAge?: number }) =>
        `/auth/login?returnTo=${returnTo}&max_age=${requirement?.maxAge}`,
    } as never
    const passkeys = localParty(ORIGIN)
    const ask = (handler: (request: Request) => Promise<Response>) =>
      handler(
        new Request(`${ORIGIN}/passkeys/register/options`, {
          method: 'POST',
          headers: { 'sec-fetch-site': 'same-origin' },
        }),
      )
    const refused = await ask(createSessionPasskeyHandler(auth, passkeys))
    expect(refused.status).toBe(401)
    expect(await refused.json()).toMatchObject({
      error: 'ERR_PASSKEY_REAUTHENTICATION_REQUIRED',
      max_age: 600,
      login: '/auth/login?returnTo=undefined&max_age=60',
    })
    expect(
      (await ask(createSessionPasskeyHandler(auth, passkeys, { reauthenticateAfter: false }))).status,
    ).toBe(200)
    expect(() => createSessionPasskeyHandler(auth, passkeys, { reauthenticateAfter: 0 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    )
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
