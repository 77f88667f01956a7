// Where you are signed in (/sessions, /sessions/revoke, /sessions/revoke-all): the demos' shared
// Web handler on the core's session management, for a signed-in user only.

import { createSessionPages } from '@org/demo-ui'
import { DEMO_NAME, nextAuth } from '../../../lib/auth.js'

let pages: ReturnType<typeof createSessionPages> | undefined

/** Created on first use: `next build` loads this module before the login is configured. */
function sessionPages(): ReturnType<typeof createSessionPages> {
  if (pages === undefined) {
    const auth = nextAuth.auth()
    pages = createSessionPages({
      demo: DEMO_NAME,
      auth,
      paths: { login: auth.paths.login, logout: auth.paths.logout },
    })
  }
  return pages
}

const handler = nextAuth.withSession(async (request) => sessionPages()(request))

export const GET = handler
export const POST = handler
