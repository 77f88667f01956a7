import { nextAuth } from '../../../lib/auth.js'

/** Needs scope `write` (granted to the demo's login). */
export const POST = nextAuth.withAuth(
  (_request, { auth }) => Response.json({ created: true, by: auth.claims.sub }, { status: 201 }),
  { scopes: ['write'] },
)
