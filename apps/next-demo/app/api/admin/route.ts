import { nextAuth } from '../../../lib/auth.js'

/** Needs scope `admin`, which the demo's login does not ask for: 403 insufficient_scope. */
export const GET = nextAuth.withAuth(() => Response.json({ admin: true }), { scopes: ['admin'] })
