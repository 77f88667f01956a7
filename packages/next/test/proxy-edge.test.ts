import { realpathSync } from 'node:fs'
import { createRequire } from 'node:module'
import { EdgeVM } from '@edge-runtime/vm'
import { DEMO_CLIENTS, type DevIdp, startDevIdp } from '@org/dev-idp'
import { build, type Plugin } from 'esbuild'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createNextAuth, type NextAuth } from '../src/index.js'
import { Jar, logIn, loginOptions, SECRET } from './helpers.js'

// The proxy entry bundled for the edge runtime and run in an EdgeVM: Web APIs only, no
// `process`, `Buffer` or `require`. A `node:` import anywhere in the proxy or the core's default
// entry fails the bundle. The session cookies come from a real login against the dev IdP.
const require = createRequire(import.meta.url)

/** The installed package of the Next major under test: `next`, or the `next15` alias (vitest.config.ts). */
const nextPackage = process.env['NEXT_PACKAGE'] ?? 'next'
const nextResponseModule = require.resolve(`${nextPackage}/dist/esm/server/web/spec-extension/response.js`)

/**
 * Next's edge compiler swaps `next/server` for its ESM build; the proxy only needs
 * `NextResponse`, so it is taken from there (the CommonJS `next/server` reads `__dirname`).
 * Taken from the major under test: esbuild does not see vitest's aliases.
 */
const nextServerForEdge: Plugin = {
  name: 'next-server-for-edge',
  setup(bundler) {
    bundler.onResolve({ filter: /^next\/server(\.js)?$/ }, () => ({
      path: nextResponseModule,
    }))
  },
}

interface EdgeAnswer {
  status: number
  headers: Record<string, string>
  setCookies: string[]
  body: string
}

let idp: DevIdp
let vm: EdgeVM
let inputs: string[]
let nextAuth: NextAuth
beforeAll(async () => {
  const bundle = await build({
    entryPoints: [new URL('./fixtures/edge-entry.ts', import.meta.url).pathname],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    conditions: ['edge-light', 'worker', 'browser'],
    target: 'es2022',
    metafile: true,
    logLevel: 'silent',
    plugins: [nextServerForEdge],
  })
  inputs = Object.keys(bundle.metafile.inputs)
  vm = new EdgeVM()
  vm.evaluate(bundle.outputFiles[0]?.text as string)
  idp = await startDevIdp()
  nextAuth = createNextAuth(loginOptions(idp))
})
afterAll(async () => {
  await idp?.close()
})

/** Runs the proxy inside the VM (plain data in and out: the VM is another realm). */
function runProxy(path: string, headers: Record<string, string> = {}, offsetMs = 0): Promise<EdgeAnswer> {
  const config = {
    issuer: idp.issuer,
    clientId: DEMO_CLIENTS.next.clientId,
    clientSecret: DEMO_CLIENTS.next.clientSecret,
    secret: SECRET,
    offsetMs,
  }
  const input = { url: `http://localhost:3004${path}`, headers }
  return vm.evaluate(`edgeProxy.run(${JSON.stringify(config)}, ${JSON.stringify(input)})`)
}

describe('createAuthProxy on the edge runtime', () => {
  it('bundles without Node modules and runs where Node globals do not exist', () => {
    expect(inputs.some((input) => input.startsWith('node:') || input.includes('/auth-core/src/node'))).toBe(
      false,
    )
    expect(inputs).toContain('src/proxy.ts')
    // NextResponse comes from the Next major of this vitest project.
    expect(inputs.map((input) => realpathSync(input))).toContain(realpathSync(nextResponseModule))
    expect(vm.evaluate('[typeof process, typeof Buffer, typeof require, typeof setImmediate]')).toEqual([
      'undefined',
      'undefined',
      'undefined',
      'undefined',
    ])
  })

  it('sends a signed-out navigation of a protected page to login, with an absolute URL', async () => {
    const page = await runProxy('/profile?tab=2', { 'sec-fetch-mode': 'navigate' })
    expect(page.status).toBe(302)
    expect(page.headers['location']).toBe(
      'http://localhost:3004/api/auth/login?returnTo=%2Fprofile%3Ftab%3D2',
    )
    const api = await runProxy('/profile/data', { 'sec-fetch-mode': 'cors' })
    expect(api.status).toBe(401)
    expect(JSON.parse(api.body)).toMatchObject({ error: 'unauthorized' })
    // Not protected: through, untouched.
    const home = await runProxy('/profiles', { 'sec-fetch-mode': 'navigate' })
    expect(home.headers['x-middleware-next']).toBe('1')
    expect(home.setCookies).toEqual([])
  })

  it('leaves the login routes to their handlers', async () => {
    const login = await runProxy('/api/auth/callback?code=x&state=y', { cookie: 'auth.session=forged' })
    expect(login.headers['x-middleware-next']).toBe('1')
    expect(login.setCookies).toEqual([])
  })

  it('deletes a forged session cookie, also from the request the page receives', async () => {
    const answer = await runProxy('/', { cookie: 'theme=dark; auth.session=forged' })
    expect(answer.headers['x-middleware-next']).toBe('1')
    expect(answer.setCookies).toEqual([expect.stringMatching(/^auth\.session=; Path=\/; Max-Age=0;/)])
    expect(answer.headers['x-middleware-request-cookie']).toBe('theme=dark')
    const page = await runProxy('/profile', { cookie: 'auth.session=forged', 'sec-fetch-mode': 'navigate' })
    expect(page.status).toBe(302)
  })

  it('refreshes a due access token and rewrites the cookie for the browser and the page', async () => {
    const jar = new Jar()
    await logIn(nextAuth, idp, jar)
    const signedIn = { cookie: jar.header(), 'sec-fetch-mode': 'navigate' }
    const before = jar.cookies.get('auth.session') as string
    const fresh = await runProxy('/profile', signedIn)
    expect(fresh.headers['x-middleware-next']).toBe('1')
    expect(fresh.setCookies).toEqual([]) // nothing due: no cookie written

    // Ten minutes on (the VM's clock), the five-minute access token is due.
    const due = await runProxy('/profile', signedIn, 10 * 60_000)
    expect(due.headers['x-middleware-next']).toBe('1')
    expect(due.setCookies).toEqual([
      expect.stringMatching(/^auth\.session=[^;]+; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Lax$/),
    ])
    const forwarded = due.headers['x-middleware-request-cookie'] as string
    const rewritten = (due.setCookies[0] as string).split(';')[0] as string
    expect(forwarded).toBe(rewritten)
    expect(rewritten).not.toBe(`auth.session=${before}`)

    const oldToken = (
      await nextAuth.getSessionFromRequest(
        new Request('http://localhost:3004/', { headers: { cookie: jar.header() } }),
      )
    )?.accessToken
    const newToken = (
      await nextAuth.getSessionFromRequest(
        new Request('http://localhost:3004/', { headers: { cookie: forwarded } }),
      )
    )?.accessToken
    expect(newToken).toMatch(/^eyJ/)
    expect(newToken).not.toBe(oldToken)
  })
})
