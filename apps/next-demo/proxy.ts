// Next 16 runs this before every matched request (on Next 15, name the file middleware.ts and
// the export `middleware`). It refreshes due access tokens, rewriting the session cookie (a
// Server Component cannot), and sends signed-out visits of /profile to the login. It is not
// the only guard: the profile page and every API route check for themselves.
import { nextAuth } from './lib/auth.js'

export const proxy = nextAuth.proxy({ protect: ['/profile'] })

export const config = {
  // Everything but Next's static assets.
  matcher: ['/((?!_next/static|_next/image|favicon.ico).*)'],
}
