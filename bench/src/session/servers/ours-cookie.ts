/** Our cookie-only sessions: no store, the whole session (claims and tokens) sealed into the cookie. */
import { oursServers } from '../ours.js'

export const servers = oursServers(
  'cookie',
  'no store: the whole session (claims, access, refresh and ID tokens) sealed in the cookie (JWE `dir` + A256GCM)',
  [],
  async () => ({}),
)
