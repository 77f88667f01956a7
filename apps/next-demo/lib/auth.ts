/**
 * The demo's one auth configuration: the dev IdP's `next-demo` client for the login, and the
 * demo API's verifier for the bearer-protected route handlers. Settings come from the
 * environment (ISSUER, PORT, SESSION_SECRET...) with the defaults of `npm run demo`.
 */

import { createNextAuth } from '@org/auth-next'
import { demoApiVerifier, demoSettings } from '@org/demo-ui'

export const settings = demoSettings('next', process.env)

export const nextAuth = createNextAuth({
  ...settings.auth,
  verifier: demoApiVerifier(settings),
  realm: 'next-demo',
})

/**
 * Where the server reaches its own API: a fixed loopback origin, never one derived from the
 * request's Host header (the call carries the user's access token).
 */
export const internalOrigin = process.env['INTERNAL_ORIGIN'] ?? `http://127.0.0.1:${settings.port}`

export const DEMO_NAME = 'next-demo'
