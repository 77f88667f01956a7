import { nextAuth } from '../../../lib/auth.js'

/** Any valid access token of the demo API. */
export const GET = nextAuth.withAuth((_request, { auth }) =>
  Response.json({ sub: auth.claims.sub, scopes: auth.scopes }),
)
