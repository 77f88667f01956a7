import { createHash, randomBytes } from 'node:crypto'

export interface FlowClient {
  clientId: string
  clientSecret: string
  redirectUri: string
}

export interface FlowEndpoints {
  issuer: string
  authorizationEndpoint: string
  tokenEndpoint: string
}

export interface TokenResponse {
  idToken: string
  accessToken: string
  refreshToken?: string
}

/** Follows at most this many redirects between /auth, /interaction and back. */
const MAX_REDIRECTS = 10

const randomToken = (): string => randomBytes(32).toString('base64url')

function basicAuth(client: FlowClient): string {
  const id = encodeURIComponent(client.clientId)
  const secret = encodeURIComponent(client.clientSecret)
  return `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`
}

/** Describes a failed endpoint response without echoing anything token-like. */
async function failure(what: string, response: Response): Promise<Error> {
  let detail = ''
  try {
    const body = (await response.json()) as { error?: unknown; error_description?: unknown }
    detail = [body.error, body.error_description].filter((part) => typeof part === 'string').join(': ')
  } catch {
    // not JSON
  }
  return new Error(`dev-idp: ${what} failed with HTTP ${response.status}${detail ? ` (${detail})` : ''}`)
}

async function postToken(
  endpoints: FlowEndpoints,
  client: FlowClient,
  form: Record<string, string | undefined>,
): Promise<Record<string, unknown>> {
  const body = new URLSearchParams()
  for (const [name, value] of Object.entries(form)) if (value !== undefined) body.set(name, value)
  const response = await fetch(endpoints.tokenEndpoint, {
    method: 'POST',
    headers: {
      authorization: basicAuth(client),
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body,
  })
  if (!response.ok) throw await failure(`${form['grant_type']} token request`, response)
  return (await response.json()) as Record<string, unknown>
}

function requireString(body: Record<string, unknown>, name: string): string {
  const value = body[name]
  if (typeof value !== 'string' || !value) throw new Error(`dev-idp: token response has no ${name}`)
  return value
}

/** client_credentials grant at the token endpoint (client_secret_basic) with a resource indicator. */
export async function clientCredentialsToken(
  endpoints: FlowEndpoints,
  client: FlowClient,
  params: { scope: string; resource: string },
): Promise<string> {
  const body = await postToken(endpoints, client, {
    grant_type: 'client_credentials',
    scope: params.scope || undefined,
    resource: params.resource,
  })
  return requireString(body, 'access_token')
}

/** A minimal cookie jar: name=value pairs from Set-Cookie, sent back on every request (one origin). */
class CookieJar {
  readonly #cookies = new Map<string, string>()

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const pair = line.split(';', 1)[0] ?? ''
      const eq = pair.indexOf('=')
      if (eq <= 0) continue
      const name = pair.slice(0, eq).trim()
      const value = pair.slice(eq + 1).trim()
      const expired = /;\s*expires=Thu, 01 Jan 1970/i.test(line) || /;\s*max-age=0\b/i.test(line)
      if (!value || expired) this.#cookies.delete(name)
      else this.#cookies.set(name, value)
    }
  }

  header(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  }
}

export interface AuthorizationCodeParams {
  sub: string
  scope: string
  nonce: string
  resource?: string | undefined
}

/**
 * Drives authorization code + PKCE (S256) + nonce over HTTP: the authorization request, the
 * auto-completing interactions, the redirect back to the client, then the code exchange.
 */
export async function authorizationCodeFlow(
  endpoints: FlowEndpoints,
  client: FlowClient,
  params: AuthorizationCodeParams,
): Promise<TokenResponse> {
  const verifier = randomToken()
  const state = randomToken()
  const authorize = new URL(endpoints.authorizationEndpoint)
  const query: Record<string, string | undefined> = {
    client_id: client.clientId,
    redirect_uri: client.redirectUri,
    response_type: 'code',
    scope: params.scope,
    state,
    nonce: params.nonce,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    login_hint: params.sub,
    resource: params.resource,
    // oidc-provider only honours offline_access (refresh tokens) together with prompt=consent.
    prompt: params.scope.split(' ').includes('offline_access') ? 'consent' : undefined,
  }
  for (const [name, value] of Object.entries(query))
    if (value !== undefined) authorize.searchParams.set(name, value)

  const jar = new CookieJar()
  let url = authorize
  let callback: URL | undefined
  for (let hop = 0; hop < MAX_REDIRECTS && !callback; hop += 1) {
    const response = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header() } })
    jar.store(response)
    const location = response.headers.get('location')
    if (response.status < 300 || response.status >= 400 || !location) {
      throw await failure(`authorization request (${url.pathname})`, response)
    }
    await response.body?.cancel()
    const next = new URL(location, url)
    if (`${next.origin}${next.pathname}` === new URL(client.redirectUri).href) callback = next
    else url = next
  }
  if (!callback) throw new Error('dev-idp: authorization flow did not return to the redirect URI')

  const result = callback.searchParams
  const error = result.get('error')
  if (error) {
    throw new Error(`dev-idp: authorization failed (${error}: ${result.get('error_description') ?? ''})`)
  }
  if (result.get('state') !== state) throw new Error('dev-idp: state mismatch in authorization response')
  const iss = result.get('iss')
  if (iss !== null && iss !== endpoints.issuer) {
    throw new Error('dev-idp: iss mismatch in authorization response')
  }
  const code = result.get('code')
  if (!code) throw new Error('dev-idp: authorization response has no code')

  const body = await postToken(endpoints, client, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: client.redirectUri,
    code_verifier: verifier,
  })
  const tokens: TokenResponse = {
    idToken: requireString(body, 'id_token'),
    accessToken: requireString(body, 'access_token'),
  }
  if (typeof body['refresh_token'] === 'string') tokens.refreshToken = body['refresh_token']
  return tokens
}
