import { createHash, randomBytes } from 'node:crypto'
import { browse, CookieJar, failure } from './browser.js'

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

const randomToken = (): string => randomBytes(32).toString('base64url')

function basicAuth(client: FlowClient): string {
  const id = encodeURIComponent(client.clientId)
  const secret = encodeURIComponent(client.clientSecret)
  return `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`
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

export interface AuthorizationCodeParams {
  sub: string
  scope: string
  nonce: string
  resource?: string | undefined
  /** `acr_values` of the authorization request (the dev IdP logs in with the first it knows). */
  acrValues?: string | undefined
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
    acr_values: params.acrValues,
    // oidc-provider only honours offline_access (refresh tokens) together with prompt=consent.
    prompt: params.scope.split(' ').includes('offline_access') ? 'consent' : undefined,
  }
  for (const [name, value] of Object.entries(query))
    if (value !== undefined) authorize.searchParams.set(name, value)

  const redirectUri = new URL(client.redirectUri).href
  const outcome = await browse(authorize, {
    jar: new CookieJar(),
    isDone: (next) => `${next.origin}${next.pathname}` === redirectUri,
  })
  if (outcome.kind === 'page') {
    throw await failure(`authorization request (${outcome.url.pathname})`, outcome.response)
  }
  const callback = outcome.url

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
