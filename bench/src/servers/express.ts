/**
 * The Express servers under test. Each answers `GET /protected` with a small JSON body; protected
 * ones echo the token's `sub`. Every verifier gets the same issuer, audience and JWKS URL.
 */
import { authErrorHandler, getAuth, requireAuth } from '@org/auth-express'
import express, {
  type ErrorRequestHandler,
  type Express,
  type Request,
  type RequestHandler,
  type Response,
} from 'express'
import { auth as auth0 } from 'express-oauth2-jwt-bearer'
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose'
import { passportJwtSecret } from 'jwks-rsa'
import passport from 'passport'
import { ExtractJwt, Strategy as JwtStrategy } from 'passport-jwt'
import { ANONYMOUS, type ServerConfig } from '../config.js'

type Protect = (config: ServerConfig) => {
  middleware: RequestHandler[]
  subject: (req: Request, res: Response) => unknown
  errorHandler?: ErrorRequestHandler
}

/** Hand-written jose middleware: what a team would write without a library. */
function joseMiddleware(config: ServerConfig): RequestHandler {
  const jwks = createRemoteJWKSet(new URL(config.jwksUri))
  const options = { issuer: config.issuer, audience: config.audience }
  return (req, res, next) => {
    const header = req.headers.authorization
    if (header === undefined || !/^bearer /i.test(header)) {
      res.status(401).set('www-authenticate', 'Bearer').json({ error: 'invalid_request' })
      return
    }
    jwtVerify(header.slice(7).trim(), jwks, options).then(
      ({ payload }) => {
        res.locals['claims'] = payload
        next()
      },
      () => {
        res
          .status(401)
          .set('www-authenticate', 'Bearer error="invalid_token"')
          .json({ error: 'invalid_token' })
      },
    )
  }
}

/** express-oauth2-jwt-bearer passes `UnauthorizedError`s (with `status` and `headers`) to `next`. */
const auth0ErrorHandler: ErrorRequestHandler = (error, _req, res, next) => {
  const { status, headers, code } = error as {
    status?: number
    headers?: Record<string, string>
    code?: string
  }
  if (typeof status !== 'number') {
    next(error)
    return
  }
  res
    .status(status)
    .set(headers ?? {})
    .json({ error: code ?? 'invalid_token' })
}

/** The least any `next(err)` middleware costs: a prebuilt error, and a handler answering like ours. */
function nextErrorReference(): ReturnType<Protect> {
  const refusal = Object.assign(new Error('A bearer token is required'), { status: 401 })
  return {
    middleware: [(_req, _res, next) => next(refusal)],
    subject: () => undefined,
    errorHandler: (_error, _req, res, _next) => {
      res
        .status(401)
        .set({ 'cache-control': 'no-store', 'www-authenticate': 'Bearer' })
        .json({ error: 'unauthorized', error_description: 'A bearer token is required' })
    },
  }
}

const PROTECTED: Record<string, Protect> = {
  'express-next-error': nextErrorReference,
  'express-ours-cache': (config) => ({
    middleware: [requireAuth({ issuer: config.issuer, audience: config.audience, jwks: config.jwksUri })],
    subject: (req) => getAuth(req)?.claims.sub,
    errorHandler: authErrorHandler(),
  }),
  'express-ours-nocache': (config) => ({
    middleware: [
      requireAuth({ issuer: config.issuer, audience: config.audience, jwks: config.jwksUri, cache: false }),
    ],
    subject: (req) => getAuth(req)?.claims.sub,
    errorHandler: authErrorHandler(),
  }),
  'express-jose': (config) => ({
    middleware: [joseMiddleware(config)],
    subject: (_req, res) => (res.locals['claims'] as JWTPayload | undefined)?.sub,
  }),
  'express-oauth2-jwt-bearer': (config) => ({
    middleware: [auth0({ issuer: config.issuer, jwksUri: config.jwksUri, audience: config.audience })],
    // This library declares `req.auth` (ours is opt-in): here it holds `{ header, payload, token }`.
    subject: (req) => req.auth?.payload.sub,
    errorHandler: auth0ErrorHandler,
  }),
  // DPoP: our verifier's default (`dpop: { mode: 'allowed' }`, a memory replay store) with its
  // token cache; the peer with DPoP on (it keeps no record of used proofs: no replay check).
  'express-ours-dpop': (config) => ({
    middleware: [requireAuth({ issuer: config.issuer, audience: config.audience, jwks: config.jwksUri })],
    subject: (req) => getAuth(req)?.claims.sub,
    errorHandler: authErrorHandler(),
  }),
  'express-oauth2-jwt-bearer-dpop': (config) => ({
    middleware: [
      auth0({
        issuer: config.issuer,
        jwksUri: config.jwksUri,
        audience: config.audience,
        dpop: { enabled: true, required: false },
      }),
    ],
    subject: (req) => req.auth?.payload.sub,
    errorHandler: auth0ErrorHandler,
  }),
  'express-passport-jwt': (config) => {
    passport.use(
      new JwtStrategy(
        {
          jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
          secretOrKeyProvider: passportJwtSecret({ jwksUri: config.jwksUri, cache: true, rateLimit: true }),
          issuer: config.issuer,
          audience: config.audience,
          algorithms: ['RS256', 'ES256'],
        },
        (payload: JWTPayload, done: (error: unknown, user?: JWTPayload) => void) => done(null, payload),
      ),
    )
    return {
      middleware: [passport.initialize(), passport.authenticate('jwt', { session: false })],
      subject: (req) => (req.user as JWTPayload | undefined)?.sub,
    }
  },
}

export function createExpressApp(config: ServerConfig): Express {
  const app = express()
  if (config.name === 'express-bare' || config.name === 'express-noop-middleware') {
    const layers: RequestHandler[] = config.name === 'express-bare' ? [] : [(_req, _res, next) => next()]
    app.get('/protected', ...layers, (_req, res) => {
      res.json({ sub: ANONYMOUS })
    })
    return app
  }
  const protect = PROTECTED[config.name]
  if (protect === undefined) throw new Error(`Unknown Express server "${config.name}"`)
  const { middleware, subject, errorHandler } = protect(config)
  app.get('/protected', ...middleware, (req: Request, res: Response) => {
    res.json({ sub: subject(req, res) })
  })
  if (errorHandler !== undefined) app.use(errorHandler)
  return app
}
