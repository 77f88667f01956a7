/**
 * The shared store goes down under traffic: requests that need it fail closed (503 with
 * `Retry-After`: never a session accepted unchecked, never a login completed without its
 * single-use check, never a 500 or a stack), and the application recovers by itself when the
 * store is back, with the sessions written before. The test runs its own server on a spare port.
 */
import { randomBytes } from 'node:crypto'
import { CookieJar, type DevIdp, signInToApp, startDevIdp } from '@org/dev-idp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort, type Instance, startInstance } from '../src/instances.js'
import { type OwnRedis, startOwnRedis } from '../src/servers.js'

describe.each(['express', 'hono'] as const)('the Redis store goes down and comes back (%s demo)', (demo) => {
  let idp: DevIdp
  let redis: OwnRedis
  let app: Instance

  beforeAll(async () => {
    idp = await startDevIdp({ port: 0 })
    redis = await startOwnRedis()
    app = await startInstance(demo, await freePort(), {
      ISSUER: idp.issuer,
      SESSION_SECRET: randomBytes(32).toString('base64'),
      REDIS_URL: redis.url,
    })
  })
  afterAll(async () => {
    await app?.stop()
    await redis?.dispose()
    await idp?.close()
  })

  async function get(jar: CookieJar, path: string): Promise<Response> {
    return fetch(`${app.origin}${path}`, { redirect: 'manual', headers: { cookie: jar.header() } })
  }

  /** A 503 that says when to retry and shows nothing of the failure (no stack, no Redis message). */
  async function expectUnavailable(response: Response, secrets: readonly string[]): Promise<void> {
    expect(response.status).toBe(503)
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(response.headers.getSetCookie().filter((line) => !/^auth\.session=;/.test(line))).toEqual([])
    const body = await response.text()
    expect(body).not.toMatch(/\bat .+:\d+:\d+|ECONNREFUSED|Error:|redis/i)
    for (const secret of secrets) expect(body).not.toContain(secret)
  }

  it('answers 503 with Retry-After while Redis is down, then serves the same session again', async () => {
    const { jar, landing } = await signInToApp(idp.authorize, `${app.origin}/auth/login`)
    expect(landing.status).toBe(302)
    const session = jar.header()
    expect((await get(jar, '/profile')).status).toBe(200)
    // A second login waits at its callback while the store is down.
    const pending = new CookieJar()
    const started = await fetch(`${app.origin}/auth/login`, { redirect: 'manual' })
    pending.store(started)
    const callback = await idp.authorize(started.headers.get('location') as string)

    // Traffic while Redis stops: every answer is the session (before) or a 503 (after), nothing else.
    let stopping = true
    const statuses: number[] = []
    const traffic = (async () => {
      while (stopping) {
        const response = await get(jar, '/profile')
        await response.arrayBuffer()
        statuses.push(response.status)
      }
    })()
    await redis.stop()
    stopping = false
    await traffic
    expect(statuses.length).toBeGreaterThan(0)
    expect(statuses.filter((status) => status !== 200 && status !== 503)).toEqual([])

    await expectUnavailable(await get(jar, '/profile'), [session])
    await expectUnavailable(
      await fetch(`${app.origin}/sessions`, {
        redirect: 'manual',
        headers: { cookie: session, accept: 'text/html' },
      }),
      [session],
    )
    // The callback cannot record its state as used: it is not completed (no session, no exchange).
    const refused = await fetch(callback, { redirect: 'manual', headers: { cookie: pending.header() } })
    await expectUnavailable(refused, [callback.searchParams.get('code') as string])

    await redis.start()
    // The client reconnects by itself (backing off up to 2 s): the same session is served again.
    let recovered = 0
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; ) {
      const response = await get(jar, '/profile')
      await response.arrayBuffer()
      recovered = response.status
      if (recovered === 200) break
      expect(recovered).toBe(503)
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
    expect(recovered).toBe(200)
    // And the callback that was refused is still good for exactly one completion.
    const completed = await fetch(callback, { redirect: 'manual', headers: { cookie: pending.header() } })
    expect(completed.status).toBe(302)
    expect(completed.headers.getSetCookie().some((line) => /^auth\.session=[^;]/.test(line))).toBe(true)
  })
})
