import { type DevIdp, startDevIdp } from '@org/dev-idp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createNextAuth } from '../src/index.js'
import { Jar, logIn, loginOptions, SECRET } from './helpers.js'
import { buildApp, type RunningApp, startApp } from './next-app.js'

// The README's quickstart in a real Next 16 app (test/fixtures/next16-app): built by `next build`
// with Turbopack (Next 16's default bundler) and `cacheComponents` + `partialPrefetching` on,
// without SESSION_SECRET in the build's environment, then served by `next start`. It fails if
// the adapter imports what Turbopack cannot bundle, if the build needs the run time's secret, or
// if a session read touches the clock before the request data (Next reports that as "encountered
// the unstable value Date.now()": at build time while prerendering, and at run time in a runtime
// prefetch, where cookies are readable but the clock is not until `connection()`).
const UNSTABLE = /unstable value|Date\.now\(\)|Math\.random\(\)/

let idp: DevIdp
let build: { code: number | null; output: string }
/** Every server started, stopped after the tests even when one fails midway. */
const started: RunningApp[] = []
async function start(env: Record<string, string>): Promise<RunningApp> {
  const app = await startApp(env)
  started.push(app)
  return app
}
/** A session cookie value sealed with SECRET by a real login at the dev IdP. */
let sealed: string
const env = () => ({ ISSUER: idp.issuer, AUDIENCE: idp.resource })
/** `baseUrl` is https in the fixture: the cookie carries the `__Host-` prefix. */
const withSession = () => ({ cookie: `__Host-auth.session=${sealed}` })

describe.skipIf(process.env['NEXT_MAJOR'] !== '16')(
  'the README quickstart built with next build (Next 16)',
  () => {
    beforeAll(async () => {
      idp = await startDevIdp()
      const jar = new Jar()
      await logIn(createNextAuth(loginOptions(idp)), idp, jar)
      sealed = jar.cookies.get('auth.session') as string
      build = await buildApp()
    }, 600_000)
    afterAll(async () => {
      await Promise.all(started.map((app) => app.close()))
      await idp?.close()
    })

    it('builds with Turbopack and cacheComponents, without SESSION_SECRET, reading no clock too early', () => {
      expect(build.output).toContain('Turbopack')
      expect(build.output).not.toMatch(UNSTABLE)
      expect(build.code, build.output).toBe(0)
      // The configuration waits for run time, and the build says why (once per build worker).
      expect(build.output).toContain('@org/auth-next: during "next build"')
      expect(build.output).toContain('"session.secrets"')
    })

    it('serves the session in the page, behind <Suspense>, and in a runtime prefetch reads no clock early', async () => {
      const app = await start({ ...env(), SESSION_SECRET: SECRET })
      const signedOut = await fetch(`${app.origin}/`)
      expect(signedOut.status).toBe(200)
      expect(await signedOut.text()).toContain('Sign in')
      const signedIn = await fetch(`${app.origin}/`, { headers: withSession() })
      expect(await signedIn.text()).toMatch(/Signed in as (<!-- -->)?alice/)
      // What the router sends to prefetch a page with its runtime data (partialPrefetching).
      const prefetch = await fetch(`${app.origin}/`, {
        headers: { ...withSession(), rsc: '1', 'next-router-prefetch': '2' },
      })
      expect(prefetch.status).toBe(200)
      expect(prefetch.headers.get('content-type')).toContain('text/x-component')
      await prefetch.arrayBuffer()
      await new Promise((resolve) => setTimeout(resolve, 500))
      expect(app.output()).not.toMatch(UNSTABLE)
    })

    it('serves withAuth routes, bearer-only ones included, and guards pages in the proxy', async () => {
      const running = started[0] as RunningApp
      const token = await idp.getAccessToken({ scope: 'read' })
      for (const path of ['/api/notes', '/api/items']) {
        const ok = await fetch(`${running.origin}${path}`, { headers: { authorization: `Bearer ${token}` } })
        expect(ok.status, path).toBe(200)
        expect(await ok.json()).toMatchObject(
          path === '/api/notes' ? { owner: expect.any(String) } : { sub: expect.any(String) },
        )
        expect((await fetch(`${running.origin}${path}`)).status).toBe(401)
      }
      // fetch() says `Sec-Fetch-Mode: cors`: not a navigation, so the proxy answers 401 JSON.
      const account = await fetch(`${running.origin}/account`, { redirect: 'manual' })
      expect(account.status).toBe(401)
      expect(await account.text()).not.toContain('id="account"')
      const signedIn = await fetch(`${running.origin}/account`, { headers: withSession() })
      expect(await signedIn.text()).toContain('alice')
      const me = await fetch(`${running.origin}/api/me`, { headers: withSession() })
      expect(await me.json()).toEqual({ sub: 'alice', hasToken: true })
      expect((await fetch(`${running.origin}/api/me`)).status).toBe(401)
      expect(running.output()).not.toMatch(UNSTABLE)
    })

    it('refuses to serve logins at run time without SESSION_SECRET, naming the option', async () => {
      const app = await start(env())
      const login = await fetch(`${app.origin}/api/auth/login`, { redirect: 'manual' })
      expect(login.status, app.output()).toBe(500)
      await login.arrayBuffer()
      await new Promise((resolve) => setTimeout(resolve, 500))
      expect(app.output()).toMatch(/ERR_INVALID_OPTION|ConfigurationError/)
      expect(app.output()).toContain('"session.secrets"')
    })
  },
)
