/**
 * Several instances of one application on one shared store, each a separate process: two of the
 * Express demo and one of the Hono demo (running as the same application: same client, secret
 * and public origin). A login started on A completes on B, its replay on A is refused, and a
 * session ended on one instance is refused by the others. Once over Redis, once over PostgreSQL.
 */
import { randomBytes } from 'node:crypto'
import { CookieJar, type DevIdp, startDevIdp } from '@org/dev-idp'
import pg from 'pg'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort, type Instance, startInstance } from '../src/instances.js'

const BACKENDS = [
  {
    name: 'Redis',
    variable: 'REDIS_URL',
    env: () => ({ REDIS_PREFIX: `e2e-${randomBytes(6).toString('hex')}:` }),
    /** Deletes the test's keys (a SCAN is fine in a test; the stores never list keys). */
    cleanup: async (url: string, env: Record<string, string>) => {
      const client = await createClient({ url }).connect()
      for await (const keys of client.scanIterator({ MATCH: `${env['REDIS_PREFIX']}*`, COUNT: 1000 })) {
        if (keys.length > 0) await client.del(keys)
      }
      await client.close()
    },
  },
  {
    name: 'PostgreSQL',
    variable: 'DATABASE_URL',
    env: () => ({ DATABASE_SCHEMA: `e2e_${randomBytes(6).toString('hex')}` }),
    cleanup: async (url: string, env: Record<string, string>) => {
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      await client.query(`DROP SCHEMA IF EXISTS "${env['DATABASE_SCHEMA']}" CASCADE`)
      await client.end()
    },
  },
] as const

for (const backend of BACKENDS) {
  const url = process.env[backend.variable]
  if (url === undefined || url === '') {
    console.log(`several instances over ${backend.name}: skipped (${backend.variable} is not set)`)
  }
  describe.skipIf(url === undefined || url === '')(`several instances over ${backend.name}`, () => {
    let idp: DevIdp
    let a: Instance
    let b: Instance
    let c: Instance
    const env: Record<string, string> = backend.env()

    beforeAll(async () => {
      idp = await startDevIdp({ port: 0 })
      const [portA, portB, portC] = [await freePort(), await freePort(), await freePort()]
      // One application: the public origin is A's (a load balancer's, in production), so every
      // instance builds the same redirect URI and cookie names.
      const shared = {
        ISSUER: idp.issuer,
        SESSION_SECRET: randomBytes(32).toString('base64'),
        APP_BASE_URL: `http://localhost:${portA}`,
        DEMO_CLIENT: 'express',
        [backend.variable]: url as string,
        ...env,
      }
      ;[a, b, c] = await Promise.all([
        startInstance('express', portA, shared),
        startInstance('express', portB, shared),
        startInstance('hono', portC, shared),
      ])
    })
    afterAll(async () => {
      await Promise.all([a?.stop(), b?.stop(), c?.stop()])
      await idp?.close()
      await backend.cleanup(url as string, env)
    })

    /** GET `path` on `instance` with the jar's cookies, keeping what it sets. */
    async function get(instance: Instance, jar: CookieJar, path: string): Promise<Response> {
      const response = await fetch(`${instance.origin}${path}`, {
        redirect: 'manual',
        headers: { cookie: jar.header(), accept: 'text/html' },
      })
      jar.store(response)
      return response
    }

    /** A same-origin form POST, as the demo's sessions page sends it. */
    async function post(instance: Instance, jar: CookieJar, path: string, form: Record<string, string>) {
      const response = await fetch(`${instance.origin}${path}`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: jar.header(), 'sec-fetch-site': 'same-origin', accept: 'text/html' },
        body: new URLSearchParams(form),
      })
      jar.store(response)
      return response
    }

    /** Logs in: the login on `start`, the IdP, then the callback on `finish`. */
    async function logIn(start: Instance, finish: Instance, sub = 'alice', idpJar?: CookieJar) {
      const jar = new CookieJar()
      const login = await get(start, jar, '/auth/login')
      expect(login.status).toBe(302)
      const callback = await idp.authorize(login.headers.get('location') as string, {
        sub,
        ...(idpJar === undefined ? {} : { jar: idpJar }),
      })
      // The IdP sends the browser to the public origin (A); the balancer picks `finish`.
      expect(callback.origin).toBe(a.origin)
      const path = callback.pathname + callback.search
      const landing = await get(finish, jar, path)
      return { jar, landing, path }
    }

    async function handles(instance: Instance, jar: CookieJar): Promise<string[]> {
      const page = await get(instance, jar, '/sessions')
      expect(page.status).toBe(200)
      return [...(await page.text()).matchAll(/name="handle" value="([^"]+)"/g)].map((m) => m[1] as string)
    }

    async function signedInAs(instance: Instance, jar: CookieJar): Promise<string | null> {
      const home = await get(instance, jar, '/')
      expect(home.status).toBe(200)
      return /<code id="sub">([^<]+)<\/code>/.exec(await home.text())?.[1] ?? null
    }

    it('completes on B a login started on A, and refuses its replay on A', async () => {
      const { jar, landing, path } = await logIn(a, b)
      expect(landing.status).toBe(302)
      expect(jar.header()).toContain('auth.session=')
      for (const instance of [a, b, c]) expect(await signedInAs(instance, jar)).toBe('alice')

      const replay = new CookieJar()
      const refused = await get(a, replay, path)
      expect(refused.status).toBeGreaterThanOrEqual(400)
      expect(
        refused.headers
          .getSetCookie()
          .some((line) => line.startsWith('auth.session=') && !line.startsWith('auth.session=;')),
      ).toBe(false)
      expect(await signedInAs(a, replay)).toBeNull()
    })

    it('ends on B a session that A and the Hono instance then refuse', async () => {
      const laptop = (await logIn(a, a)).jar
      const phone = (await logIn(c, b)).jar
      expect(await signedInAs(c, phone)).toBe('alice')
      const others = await handles(b, laptop)
      expect(others.length).toBeGreaterThanOrEqual(1)
      // End every other session of alice from the laptop, on B.
      for (const handle of others)
        expect((await post(b, laptop, '/sessions/revoke', { handle })).status).toBe(303)
      expect(await signedInAs(a, phone)).toBeNull()
      expect(await signedInAs(c, phone)).toBeNull()
      expect((await get(a, phone, '/profile')).status).toBe(401) // not a navigation: no redirect, refused
      expect(await signedInAs(a, laptop)).toBe('alice')

      // Sign out everywhere, from the Hono instance: the Express instances refuse the laptop too.
      const again = (await logIn(b, a)).jar
      expect((await post(c, again, '/sessions/revoke-all', {})).status).toBe(303)
      for (const instance of [a, b, c]) {
        expect(await signedInAs(instance, laptop)).toBeNull()
        expect(await signedInAs(instance, again)).toBeNull()
      }
    })

    it('a logout token delivered to B ends the session on A and on the Hono instance', async () => {
      // The provider's POST reaches one instance (B); the sessions it names are gone for all.
      idp.setBackchannelLogoutUri('express-demo', `${b.origin}/auth/backchannel-logout`)
      const idpJar = new CookieJar()
      const laptop = (await logIn(a, a, 'alice', idpJar)).jar
      const other = (await logIn(c, c)).jar // another IdP session of alice: not named by the token
      expect(await signedInAs(c, laptop)).toBe('alice')
      await idp.endSession(idpJar)
      for (const instance of [a, b, c]) expect(await signedInAs(instance, laptop)).toBeNull()
      expect(await signedInAs(a, other)).toBe('alice')
    })
  })
}
