/**
 * Opt-in typing of `req.auth` (`import '@org/auth-express/globals'` once, or
 * `/// <reference types="@org/auth-express/globals" />`). Leave it out next to another library
 * that declares `req.auth` (express-oauth2-jwt-bearer): TypeScript allows only one declaration,
 * and `getAuth(req)` works either way.
 */
import type { RequestAuth } from './request-auth.js'

declare global {
  namespace Express {
    interface Request {
      /**
       * Set by `requireAuth()` (the bearer token's claims) or `requireSession()` (the session
       * user, with `session`): tell them apart with `'session' in req.auth`.
       */
      auth?: RequestAuth
    }
  }
}
