import type { Auth, BearerVerifier } from '@org/auth-core'
import type { DelegationClient } from '@org/auth-core/delegation'
import { nodeHandler, sendWebResponse, toWebRequest } from '@org/auth-core/node'
import {
  auth,
  authErrorHandler,
  getAuth,
  getSession,
  requireAuth,
  requireScopes,
  requireSession,
} from '@org/auth-express'
import {
  callApis,
  createMfaPages,
  createPasskeyPages,
  createSessionPages,
  type DemoPasskeys,
  homePage,
  profilePage,
  type SignedInUser,
} from '@org/demo-ui'
import express, { type Express } from 'express'

export interface DemoOptions {
  /** Verifies the access tokens the API routes receive. */
  verifier: BearerVerifier
  /** The web login (createAuth) of this demo. */
  auth: Auth
  /** The MFA delegation client of the "MFA settings" pages. */
  delegation: DelegationClient
  /** The passkeys page's stores and public origin (`demoPasskeys(settings)`). Default: memory, any localhost port. */
  passkeys?: DemoPasskeys
}

const NAME = 'express-demo'

/**
 * The demo: a home page with login/logout and the user's claims, a page that calls the protected
 * API with the session's access token, MFA settings (delegation to the IdP), and the API (any
 * token; scope `write`; scope `admin`).
 */
export function createApp({ verifier, auth: login, delegation, passkeys }: DemoOptions): Express {
  const app = express()
  app.disable('x-powered-by')
  app.use(auth(login))
  const paths = { login: login.paths.login, logout: login.paths.logout }

  app.get('/', async (req, res) => {
    const session = await getSession(req)
    res.type('html').send(homePage(NAME, paths, session?.user ?? null))
  })

  app.get('/profile', requireSession(), async (req, res) => {
    const auth = getAuth(req)
    const session = auth !== undefined && 'session' in auth ? auth.session : undefined
    if (session === undefined) throw new Error('requireSession() sets the session')
    // The app's own address from the socket, never from the Host header: the call carries a token.
    const calls = await callApis(`http://127.0.0.1:${req.socket.localPort}`, session.accessToken)
    res.type('html').send(profilePage(NAME, paths, session.user, calls))
  })

  // MFA settings: a Web handler from demo-ui, reached through the core's Node bridge.
  const mfaPages = createMfaPages({ demo: NAME, client: delegation, paths })
  app.use('/mfa', requireSession(), (req, res, next) => {
    const user = getAuth(req)?.claims as SignedInUser
    mfaPages(toWebRequest(req, { res }), user)
      .then((response) => sendWebResponse(res, response))
      .catch(next)
  })

  // Where you are signed in: the core's session management, through the same bridge.
  const sessionPages = createSessionPages({ demo: NAME, auth: login, paths })
  app.use('/sessions', requireSession(), (req, res, next) => {
    sessionPages(toWebRequest(req, { res }))
      .then((response) => sendWebResponse(res, response))
      .catch(next)
  })

  // Passkeys: public (a passkey signs in without the provider); registration and management
  // need the session, which the handler reads itself. The Node bridge serves the Web handler.
  app.use('/passkeys', nodeHandler(createPasskeyPages({ demo: NAME, auth: login, paths, ...passkeys })))

  const api = express.Router()
  api.use(requireAuth(verifier))
  api.get('/profile', (req, res) => {
    const auth = getAuth(req)
    res.json({ sub: auth?.claims.sub, scopes: auth?.scopes })
  })
  api.post('/notes', requireScopes('write'), (req, res) => {
    res.status(201).json({ created: true, by: getAuth(req)?.claims.sub })
  })
  api.get('/admin', requireScopes('admin'), (_req, res) => {
    res.json({ admin: true })
  })
  app.use('/api', api)

  // Logs the stable code only: messages never carry tokens, but codes are what dashboards group by.
  app.use(authErrorHandler({ realm: NAME, onError: (error) => console.log(`auth: ${error.code}`) }))
  return app
}
