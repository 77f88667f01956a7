/**
 * What every generated project must do once the README's code is in it, checked over HTTP
 * against the dev IdP: the RFC 6750 answers of a bearer-protected API, and a login through the
 * IdP that ends in a session. And what a token server of `@org/auth-server/node` answers.
 */
import { get as httpGet, type IncomingMessage } from 'node:http'
import { createTokenVerifier } from '@org/auth-core'
import { type CookieJar, type DevIdp, signInToApp } from '@org/dev-idp'
import { CommandError, type Server } from './exec.js'
import { check } from './steps.js'
import { type SeededClient, TOKEN_AUDIENCE, TOKEN_SCOPE } from './token-server.js'

export interface Route {
  method: 'GET' | 'POST' | 'DELETE'
  path: string
}

export interface BearerRoutes {
  /** Needs any valid token. */
  read: Route
  /** Needs the `write` scope; answers `writeStatus` when granted. */
  write: Route
  writeStatus: number
}

/** Client-credentials tokens of the dev IdP, one per scope set. */
export interface Tokens {
  read: string
  readWrite: string
}

export async function issueTokens(idp: DevIdp): Promise<Tokens> {
  return {
    read: await idp.getAccessToken({ scope: 'read' }),
    readWrite: await idp.getAccessToken({ scope: 'read write' }),
  }
}

async function call(origin: string, route: Route, token?: string): Promise<Response> {
  return fetch(`${origin}${route.path}`, {
    method: route.method,
    redirect: 'manual',
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  })
}

/** The status, the challenge and a short body: enough to tell what went wrong, never a token. */
async function describeAnswer(response: Response): Promise<string> {
  const body = (await response.text()).replace(/\s+/g, ' ').slice(0, 300)
  const challenge = response.headers.get('www-authenticate')
  return `HTTP ${response.status}${challenge ? `, WWW-Authenticate: ${challenge}` : ''}${body ? `, body: ${body}` : ''}`
}

async function expectAnswer(
  what: string,
  response: Response,
  status: number,
  challenge?: RegExp,
): Promise<void> {
  const header = response.headers.get('www-authenticate') ?? ''
  if (response.status !== status || (challenge && !challenge.test(header))) {
    const wanted = `${status}${challenge ? ` with WWW-Authenticate ${challenge}` : ''}`
    throw new Error(`${what}: expected ${wanted}, got ${await describeAnswer(response)}`)
  }
  await response.body?.cancel()
}

/** A check against a running server: on failure, the server's output (its stack trace) goes along. */
function checkOn(server: Server, name: string, fn: () => Promise<void>): Promise<boolean> {
  return check(name, async () => {
    try {
      await fn()
    } catch (error) {
      throw new CommandError(error instanceof Error ? error.message : String(error), server.output())
    }
  })
}

/** 401 + `Bearer` challenge without a token, 200 with one, 403 `insufficient_scope`, then granted. */
export async function checkBearer(server: Server, idp: DevIdp, routes: BearerRoutes): Promise<void> {
  // Issued now: a token from the start of the run may expire while other frameworks build.
  const tokens = await issueTokens(idp)
  const { origin } = server
  const read = `${routes.read.method} ${routes.read.path}`
  const write = `${routes.write.method} ${routes.write.path}`
  await checkOn(server, `${read} without a token → 401 Bearer`, async () =>
    expectAnswer(read, await call(origin, routes.read), 401, /^Bearer\b/),
  )
  await checkOn(server, `${read} with a token → 200`, async () =>
    expectAnswer(read, await call(origin, routes.read, tokens.read), 200),
  )
  await checkOn(server, `${write} without the write scope → 403 insufficient_scope`, async () =>
    expectAnswer(write, await call(origin, routes.write, tokens.read), 403, /error="insufficient_scope"/),
  )
  await checkOn(server, `${write} with the write scope → ${routes.writeStatus}`, async () =>
    expectAnswer(write, await call(origin, routes.write, tokens.readWrite), routes.writeStatus),
  )
}

export interface LoginRoutes {
  /** The login route, e.g. `/auth/login`. */
  login: string
  /** A page that needs a session and shows the user (`alice`). */
  page: string
}

interface Answer {
  status: number
  location: string
  body: string
}

/**
 * A browser's page navigation (`Sec-Fetch-Mode: navigate`), which the session guards redirect to
 * the login while an API call gets 401. Through node:http: fetch() sends its own
 * `Sec-Fetch-Mode: cors`.
 */
async function navigate(url: string, cookie = ''): Promise<Answer> {
  const headers: Record<string, string> = {
    accept: 'text/html',
    'sec-fetch-mode': 'navigate',
    'sec-fetch-dest': 'document',
  }
  if (cookie) headers['cookie'] = cookie
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const request = httpGet(url, { headers }, resolve)
    request.on('error', reject)
  })
  let body = ''
  for await (const chunk of response) body += String(chunk)
  return { status: response.statusCode ?? 0, location: response.headers.location ?? '', body }
}

function excerpt(body: string): string {
  return body.replace(/\s+/g, ' ').slice(0, 300)
}

/**
 * Signed out, the page redirects to the login; the login redirects to the IdP, whose login and
 * consent (played over HTTP by the dev IdP) come back to the app's callback; with the session
 * cookie it sets, the page shows the user.
 */
export async function checkLogin(server: Server, idp: DevIdp, routes: LoginRoutes): Promise<void> {
  const { origin } = server
  await checkOn(server, `GET ${routes.page} signed out → redirect to ${routes.login}`, async () => {
    const { status, location, body } = await navigate(`${origin}${routes.page}`)
    if (status < 300 || status > 399 || new URL(location, origin).pathname !== routes.login) {
      throw new Error(
        `expected a redirect to ${routes.login}, got HTTP ${status} ${location} ${excerpt(body)}`,
      )
    }
  })
  let jar: CookieJar | undefined
  const signedIn = await checkOn(
    server,
    `${routes.login} → IdP login and consent → callback sets a session`,
    async () => {
      const returnTo = encodeURIComponent(routes.page)
      const signIn = await signInToApp(idp.authorize, `${origin}${routes.login}?returnTo=${returnTo}`)
      const landing = signIn.landing
      const location = landing.headers.get('location') ?? ''
      if (
        landing.status < 300 ||
        landing.status > 399 ||
        new URL(location, origin).pathname !== routes.page
      ) {
        throw new Error(
          `the callback should redirect to ${routes.page}, got ${await describeAnswer(landing)} ${location}`,
        )
      }
      await landing.body?.cancel()
      jar = signIn.jar
    },
  )
  if (!signedIn || jar === undefined) return
  const session = jar.header()
  await checkOn(server, `GET ${routes.page} with the session → 200 for alice`, async () => {
    const { status, body } = await navigate(`${origin}${routes.page}`, session)
    if (status !== 200 || !body.includes('alice')) {
      throw new Error(`expected 200 naming alice, got HTTP ${status}: ${excerpt(body)}`)
    }
  })
}

/** `application/x-www-form-urlencoded` of one value, as Basic credentials are encoded (RFC 6749 §2.3.1). */
function formEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1)
}

function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${formEncode(id)}:${formEncode(secret)}`).toString('base64')}`
}

async function requestToken(issuer: string, authorization: string): Promise<Response> {
  return fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  })
}

/** The JSON object of a response with `status`, else an error naming what came instead. */
async function expectJson(
  what: string,
  response: Response,
  status: number,
): Promise<Record<string, unknown>> {
  const text = await response.text()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  if (response.status !== status || typeof json !== 'object' || json === null || Array.isArray(json)) {
    const challenge = response.headers.get('www-authenticate')
    const got = `HTTP ${response.status}${challenge ? `, WWW-Authenticate: ${challenge}` : ''}, body: ${excerpt(text)}`
    throw new Error(`${what}: expected ${status} with a JSON object, got ${got}`)
  }
  return json as Record<string, unknown>
}

/**
 * A token server on `issuer` with the seeded `client`: the client-credentials grant gives a Bearer
 * access token that verifies against the served JWKS (`typ: at+jwt`, issuer, audience, client,
 * scope); a wrong secret is 401 `invalid_client`; the RFC 8414 metadata names the endpoints.
 */
export async function checkTokenServer(server: Server, issuer: string, client: SeededClient): Promise<void> {
  const jwksUri = `${issuer}/jwks.json`
  await checkOn(
    server,
    'POST /token (client_secret_basic) → 200 Bearer, verified against /jwks.json',
    async () => {
      const what = 'POST /token'
      const body = await expectJson(
        what,
        await requestToken(issuer, basic(client.clientId, client.clientSecret)),
        200,
      )
      if (body['token_type'] !== 'Bearer' || typeof body['access_token'] !== 'string') {
        throw new Error(
          `${what}: expected token_type "Bearer" and an access_token, got ${Object.keys(body).join(', ')} (token_type ${String(body['token_type'])})`,
        )
      }
      const verifier = createTokenVerifier({
        issuer,
        audience: TOKEN_AUDIENCE,
        jwks: jwksUri,
        tokenType: 'access',
        cache: false,
        onWarning: false,
      })
      const claims = await verifier.verify(body['access_token']).catch((error: unknown) => {
        throw new Error(`${what}: the access token does not verify against ${jwksUri}: ${String(error)}`)
      })
      if (claims['client_id'] !== client.clientId || claims['scope'] !== TOKEN_SCOPE) {
        throw new Error(
          `${what}: expected client_id ${client.clientId} and scope "${TOKEN_SCOPE}", got ${String(claims['client_id'])} and ${String(claims['scope'])}`,
        )
      }
    },
  )
  await checkOn(server, 'POST /token with a wrong secret → 401 invalid_client', async () => {
    const what = 'POST /token (wrong secret)'
    const response = await requestToken(issuer, basic(client.clientId, `${client.clientSecret}x`))
    const challenge = response.headers.get('www-authenticate') ?? ''
    const body = await expectJson(what, response, 401)
    if (body['error'] !== 'invalid_client' || !/^Basic\b/.test(challenge)) {
      throw new Error(
        `${what}: expected error "invalid_client" with a Basic challenge, got ${JSON.stringify(body).slice(0, 300)}, WWW-Authenticate: ${challenge}`,
      )
    }
  })
  await checkOn(server, 'GET /.well-known/oauth-authorization-server → 200 metadata', async () => {
    const what = 'GET /.well-known/oauth-authorization-server'
    const metadata = await expectJson(
      what,
      await fetch(`${issuer}/.well-known/oauth-authorization-server`),
      200,
    )
    const expected = { issuer, token_endpoint: `${issuer}/token`, jwks_uri: jwksUri }
    for (const [field, value] of Object.entries(expected)) {
      if (metadata[field] !== value) {
        throw new Error(`${what}: expected ${field} ${value}, got ${JSON.stringify(metadata[field])}`)
      }
    }
  })
}
