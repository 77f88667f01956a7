// MFA settings (/mfa, /mfa/start, /mfa/verify): the demos' shared Web handler, for a signed-in
// user only (withSession redirects a signed-out navigation to the login).

import { DelegationClient } from '@org/auth-core/delegation'
import type { MfaPagesOptions } from '@org/demo-ui'
import { createMfaPages } from '@org/demo-ui'
import { DEMO_NAME, nextAuth, settings } from '../../../lib/auth.js'

type MfaPages = ReturnType<typeof createMfaPages>
let pages: Promise<MfaPages> | undefined

/** Created on first use: `next build` loads this module and needs no delegation keys then. */
function mfaPages(): Promise<MfaPages> {
  pages ??= DelegationClient.fromKeys(settings.delegation).then((client) => {
    const { login, logout } = nextAuth.auth().paths
    const options: MfaPagesOptions = { demo: DEMO_NAME, client, paths: { login, logout } }
    return createMfaPages(options)
  })
  return pages
}

const handler = nextAuth.withSession(async (request, { auth }) => (await mfaPages())(request, auth.claims))

export const GET = handler
export const POST = handler
