/**
 * `pnpm bench:session:in-process`: what our session check costs without HTTP. Logs in once
 * against the dev IdP (cookie-only session, the bench's scopes), then times
 * `auth.requireSession(request)` in a loop, beside building the same `Request` alone. Sequential
 * awaits: each figure is a latency in this process, Web Crypto's thread hop included.
 */
import { randomBytes } from 'node:crypto'
import { createAuth } from '@org/auth-core'
import { authRoutes } from '@org/auth-hono'
import { DEMO_CLIENTS, signInToApp, startDevIdp } from '@org/dev-idp'
import { Hono } from 'hono'
import { freePort } from '../child.js'
import { listenHono } from './listen.js'

const N = Number(process.env['BENCH_ITERATIONS'] ?? 10_000)
const idp = await startDevIdp({ accessTokenTtl: 3600 })
const port = await freePort()
const origin = `http://127.0.0.1:${port}`
const auth = createAuth({
  issuer: idp.issuer,
  clientId: DEMO_CLIENTS.express.clientId,
  clientSecret: DEMO_CLIENTS.express.clientSecret,
  baseUrl: origin,
  scopes: ['openid', 'profile', 'email', 'offline_access', 'read'],
  session: { secrets: randomBytes(32).toString('base64url') },
})
const app = new Hono()
app.route('/', authRoutes(auth))
const server = await listenHono(app.fetch, port)
try {
  const { jar } = await signInToApp(idp.authorize, `${origin}/auth/login`)
  const cookie = jar.header()
  const request = () => new Request(`${origin}/protected`, { headers: { cookie } })
  if (!(await auth.requireSession(request())).ok) throw new Error('the prepared session was refused')
  console.log(`cookie: ${cookie.length} characters; ${N} iterations per figure`)
  for (let round = 1; round <= 3; round++) {
    let start = performance.now()
    for (let i = 0; i < N; i++) await auth.requireSession(request())
    const check = ((performance.now() - start) * 1000) / N
    start = performance.now()
    for (let i = 0; i < N; i++) request().headers.get('cookie')
    const alone = ((performance.now() - start) * 1000) / N
    console.log(
      `round ${round}: requireSession ${check.toFixed(1)} µs (of which building the Request ${alone.toFixed(1)} µs)`,
    )
  }
} finally {
  server.close()
  await idp.close()
}
