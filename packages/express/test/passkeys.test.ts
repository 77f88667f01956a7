import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createAuth, MemoryOneTimeStore } from '@org/auth-core'
import { nodeHandler } from '@org/auth-core/node'
import { createPasskeys, createSessionPasskeyHandler, MemoryCredentialStore } from '@org/auth-passkeys'
import { runPasskeyAdapterScenario, testLoginHandler } from '@org/test-kit/passkey-adapter-scenario'
import express from 'express'
import { afterEach, describe, it } from 'vitest'
import { auth, getAuth, requireSession } from '../src/index.js'

// Passkeys mounted in Express behind the adapter's session: the generic Node bridge serves the
// passkey handler of @org/auth-passkeys; the adapter's requireSession admits a passkey sign-in.
let server: Server | undefined
afterEach(() => {
  server?.close()
  server = undefined
})

describe('passkeys in Express', () => {
  it('registers for the signed-in user only, and a passkey sign-in passes requireSession({ maxAge })', async () => {
    const app = express()
    server = createServer(app)
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const login = createAuth({
      issuer: 'http://127.0.0.1:9/never-asked', // a passkey sign-in needs no provider
      clientId: 'app',
      session: { secrets: 'an-express-test-secret-that-is-long-enough' },
    })
    const passkeys = createPasskeys({
      rpId: '127.0.0.1',
      rpName: 'Test',
      origins: [origin],
      credentials: new MemoryCredentialStore(),
      challenges: new MemoryOneTimeStore(),
    })
    app.use(auth(login))
    app.use('/passkeys', nodeHandler(createSessionPasskeyHandler(login, passkeys)))
    app.post('/test/login', nodeHandler(testLoginHandler(login)))
    app.get('/me', requireSession({ maxAge: 300 }), (req, res) => {
      res.json(getAuth(req)?.claims)
    })
    await runPasskeyAdapterScenario(origin)
  })
})
