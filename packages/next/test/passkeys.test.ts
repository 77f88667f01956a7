import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { MemoryOneTimeStore } from '@org/auth-core'
import { nodeHandler } from '@org/auth-core/node'
import { createPasskeys, createSessionPasskeyHandler, MemoryCredentialStore } from '@org/auth-passkeys'
import { runPasskeyAdapterScenario, testLoginHandler } from '@org/test-kit/passkey-adapter-scenario'
import { afterEach, describe, it } from 'vitest'
import { createNextAuth } from '../src/index.js'
import { SECRET } from './helpers.js'

// Passkeys in Next behind the adapter's session: `app/passkeys/[...path]/route.ts` exports the
// passkey handler of @org/auth-passkeys as GET/POST/PATCH/DELETE, and a `withSession` route
// admits a passkey sign-in. The route modules are served over HTTP by a small router standing
// in for Next's (the build itself is tested in next-build.test.ts).
let server: Server | undefined
afterEach(() => {
  server?.close()
  server = undefined
})

describe('passkeys in Next', () => {
  it('registers for the signed-in user only, and a passkey sign-in passes withSession({ maxAge })', async () => {
    const nextAuth = createNextAuth({
      issuer: 'http://127.0.0.1:9/never-asked', // a passkey sign-in needs no provider
      clientId: 'app',
      session: { secrets: SECRET },
    })
    let passkeyRoute: ((request: Request) => Promise<Response>) | undefined
    const me = nextAuth.withSession((_request, { auth }) => Response.json(auth.claims), { maxAge: 300 })
    const routes = async (request: Request): Promise<Response> => {
      const { pathname } = new URL(request.url)
      if (pathname.startsWith('/passkeys/'))
        return (passkeyRoute as (r: Request) => Promise<Response>)(request)
      if (pathname === '/test/login') return testLoginHandler(nextAuth.auth())(request)
      if (pathname === '/me') return me(request, { params: Promise.resolve({}) })
      return new Response(null, { status: 404 })
    }
    server = createServer(nodeHandler(routes))
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const passkeys = createPasskeys({
      rpId: '127.0.0.1',
      rpName: 'Test',
      origins: [origin],
      credentials: new MemoryCredentialStore(),
      challenges: new MemoryOneTimeStore(),
    })
    // As a route module would: `nextAuth.auth` is called per request (its Auth made on first use).
    passkeyRoute = createSessionPasskeyHandler(nextAuth.auth, passkeys)
    await runPasskeyAdapterScenario(origin)
  })
})
