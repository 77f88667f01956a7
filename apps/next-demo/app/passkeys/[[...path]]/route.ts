// Passkeys (/passkeys and /passkeys/*): the demos' shared page and routes. Public: a passkey
// signs in without a session (it writes the session itself through the login's `signIn`);
// registration and management require the session, which the handler reads from the request.

import { createPasskeyPages, demoPasskeys } from '@org/demo-ui'
import { DEMO_NAME, nextAuth, settings } from '../../../lib/auth.js'

let pages: ReturnType<typeof createPasskeyPages> | undefined

/** Created on first use: `next build` loads this module before the login is configured. */
function passkeyPages(): ReturnType<typeof createPasskeyPages> {
  if (pages === undefined) {
    const { login, logout } = nextAuth.auth().paths
    pages = createPasskeyPages({
      demo: DEMO_NAME,
      auth: nextAuth.auth,
      paths: { login, logout },
      ...demoPasskeys(settings),
    })
  }
  return pages
}

const handler = (request: Request) => passkeyPages()(request)

export const GET = handler
export const POST = handler
export const PATCH = handler
export const DELETE = handler
