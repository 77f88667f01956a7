/**
 * The four login routes. Each takes the request and returns a Response; errors are thrown as
 * `AuthError`s and turned into the error page (or JSON) by `createAuth`'s handler.
 */
import { AuthorizationResponseError, SessionError } from '../errors.js'
import type { OAuthClient } from '../oauth/client.js'
import type { IdTokenClaims, TokenSet } from '../oauth/token-set.js'
import { type AuthenticationRequirement, authenticationRequirement } from '../step-up.js'
import type { AuthConfig, Site } from './auth-config.js'
import { deleteCookie } from './cookies.js'
import { applyLoginHook, type LoginEvent } from './login-hook.js'
import { oneTimeKey } from './one-time-store.js'
import { isSameOrigin, json, redirect } from './responses.js'
import { safeReturnTo } from './return-to.js'
import { revokeQuietly } from './revoke-quietly.js'
import type { Sealer } from './seal.js'
import type { SessionCookies } from './session-cookie.js'
import { newSession } from './session-cookie.js'
import type { SessionDpopKeys } from './session-dpop.js'
import type { SessionResolver } from './session-resolver.js'
import type { SessionData } from './session-store.js'
import { findTransaction, startTransaction, transactionCookie, transactionCookieName } from './transaction.js'

/** A form_post callback body larger than this is not an authorization response. */
const MAX_CALLBACK_BODY = 64 * 1024

export interface RouteContext {
  config: AuthConfig
  site: Site
  request: Request
  cookies: Map<string, string>
  client: () => Promise<OAuthClient>
  transactions: Sealer
  sessions: SessionCookies
  resolver: SessionResolver
  dpopKeys: SessionDpopKeys
}

function redirectUriOf(ctx: RouteContext): string {
  return `${ctx.site.origin}${ctx.config.paths.callback}`
}

/** GET login: a new transaction cookie, then the redirect to the provider. */
export async function login(ctx: RouteContext): Promise<Response> {
  const client = await ctx.client()
  const url = new URL(ctx.request.url)
  const returnTo = safeReturnTo(url.searchParams.get('returnTo'), ctx.site.origin) ?? ctx.config.afterLogin
  // The OIDC parameters the client has typed options for are passed as such (and checked there).
  const { prompt, login_hint, max_age, acr_values, ...extraParams } = ctx.config.authorizationParams ?? {}
  const stepUp = stepUpOf(url.searchParams, max_age, acr_values)
  const dpop = await ctx.dpopKeys.forLogin(client)
  const authorization = await client.authorizationUrl({
    ...(dpop.key === undefined ? {} : { dpopKey: dpop.key }),
    redirectUri: redirectUriOf(ctx),
    scope: ctx.config.scopes,
    extraParams:
      stepUp.acrValues === undefined ? extraParams : { ...extraParams, acr_values: stepUp.acrValues },
    ...(prompt === undefined ? {} : { prompt }),
    ...(login_hint === undefined ? {} : { loginHint: login_hint }),
    ...(stepUp.maxAge === undefined ? {} : { maxAge: stepUp.maxAge }),
    ...(ctx.config.resource === undefined ? {} : { resource: ctx.config.resource }),
  })
  const cookies = await startTransaction(ctx.config, ctx.site, ctx.transactions, ctx.cookies, authorization, {
    issuer: client.metadata.issuer,
    clientId: client.clientId,
    returnTo,
    ...(stepUp.requiredAcr === undefined ? {} : { acrValues: stepUp.requiredAcr }),
    dpopKey: dpop.jwk,
  })
  return redirect(authorization.url.href, cookies)
}

/**
 * The `max_age` and `acr_values` a login asks for: the configured ones, or a page's step-up
 * (RFC 9470) from the login URL's query, which `requireSession` wrote. A step-up `max_age` only
 * ever tightens the configured one, and its `acr_values` must be among the configured ones. The query is untrusted: a malformed value is refused (400).
 * `requiredAcr` is set only for a step-up: the callback then checks the ID token's `acr`.
 */
function stepUpOf(
  query: URLSearchParams,
  configuredMaxAge: string | undefined,
  configuredAcr: string | undefined,
): { maxAge?: number; acrValues?: string; requiredAcr?: readonly string[] } {
  const acrParam = query.get('acr_values')
  const maxAgeParam = query.get('max_age')
  let requirement: Readonly<AuthenticationRequirement> | undefined
  try {
    requirement = authenticationRequirement({
      ...(acrParam === null ? {} : { acrValues: acrParam.split(' ') }),
      ...(maxAgeParam === null ? {} : { maxAge: /^\d{1,10}$/.test(maxAgeParam) ? Number(maxAgeParam) : -1 }),
    })
  } catch {
    throw new SessionError('ERR_LOGIN_PARAMETERS_INVALID', 'The login step-up parameters are malformed', 400)
  }
  const configured = configuredMaxAge === undefined ? undefined : Number(configuredMaxAge)
  const maxAge =
    requirement?.maxAge === undefined
      ? configured
      : configured === undefined
        ? requirement.maxAge
        : Math.min(configured, requirement.maxAge)
  // A step-up never widens the configured `acr_values`: a login link asking for a weaker class
  // than the application's policy is refused, as a `max_age` only ever tightens.
  const configuredList = configuredAcr?.split(' ').filter(Boolean)
  if (
    configuredList !== undefined &&
    requirement?.acrValues !== undefined &&
    !requirement.acrValues.every((value) => configuredList.includes(value))
  ) {
    throw new SessionError(
      'ERR_LOGIN_PARAMETERS_INVALID',
      'The login asks for an acr value the application does not allow',
      400,
    )
  }
  const acrValues = requirement?.acrValues?.join(' ') ?? configuredAcr
  return {
    ...(maxAge === undefined ? {} : { maxAge }),
    ...(acrValues === undefined ? {} : { acrValues }),
    ...(requirement?.acrValues === undefined ? {} : { requiredAcr: requirement.acrValues }),
  }
}

/** The authorization response parameters: the query of a GET, the form body of a `form_post`. */
async function callbackParams(request: Request): Promise<URLSearchParams> {
  if (request.method === 'GET') return new URL(request.url).searchParams
  const type = request.headers.get('content-type') ?? ''
  const length = Number(request.headers.get('content-length') ?? 0)
  if (!type.toLowerCase().startsWith('application/x-www-form-urlencoded') || length > MAX_CALLBACK_BODY) {
    throw new AuthorizationResponseError(
      'ERR_CALLBACK_INVALID',
      'The callback body is not an authorization response',
    )
  }
  const text = await request.text()
  if (text.length > MAX_CALLBACK_BODY) {
    throw new AuthorizationResponseError(
      'ERR_CALLBACK_INVALID',
      'The callback body is not an authorization response',
    )
  }
  return new URLSearchParams(text)
}

/**
 * GET (or form_post POST) callback. The transaction is found by `state`, checked against this
 * client, and consumed (its cookie deleted, its state remembered) before the code is exchanged,
 * so a replayed callback finds nothing. The new session gets a new id; a previous one is deleted.
 */
export async function callback(
  ctx: RouteContext,
): Promise<{ response: Response } | { cookies: string[]; error: unknown }> {
  const cookies: string[] = []
  try {
    const params = await callbackParams(ctx.request)
    const state = params.get('state')
    if (state !== null && state.length > 0) {
      cookies.push(
        deleteCookie(
          transactionCookieName(ctx.config, ctx.site, state),
          transactionCookie(ctx.config, ctx.site),
        ),
      )
    }
    const client = await ctx.client()
    const transaction = await findTransaction(ctx.config, ctx.site, ctx.transactions, ctx.cookies, state, {
      issuer: client.metadata.issuer,
      clientId: client.clientId,
      redirectUri: redirectUriOf(ctx),
    })
    // Single use across every instance sharing the one-time store: a replayed callback (the same
    // cookie and query, on this instance or another) is refused before its code is exchanged.
    const until = Math.floor(ctx.config.now() / 1000) + ctx.config.transactionMaxAge
    let first: boolean
    try {
      first = await ctx.config.callbackStore.consume(await oneTimeKey('callback', transaction.state), until)
    } catch (error) {
      // The store is unreachable (503): nothing was used, so the browser keeps its transaction
      // cookie and the same callback, retried once the store is back, completes the login.
      cookies.length = 0
      throw error
    }
    if (!first) {
      throw new AuthorizationResponseError(
        'ERR_TRANSACTION_MISSING',
        'This login transaction was already used',
      )
    }

    const response = new URL(transaction.redirectUri)
    for (const [name, value] of params) response.searchParams.append(name, value)
    const dpopKey =
      transaction.dpopKey === undefined ? undefined : await ctx.dpopKeys.imported(transaction.dpopKey)
    const tokens = await client.handleCallback(
      response,
      {
        state: transaction.state,
        redirectUri: transaction.redirectUri,
        ...(transaction.nonce === undefined ? {} : { nonce: transaction.nonce }),
        ...(transaction.codeVerifier === undefined ? {} : { codeVerifier: transaction.codeVerifier }),
        ...(transaction.maxAge === undefined ? {} : { maxAge: transaction.maxAge }),
      },
      dpopKey === undefined ? {} : { dpopKey },
    )
    // Checked again where it leaves: the Location sent is a same-origin path, whatever was sealed.
    const returnTo = safeReturnTo(transaction.returnTo, ctx.site.origin) ?? ctx.config.afterLogin
    try {
      requireStepUpAcr(tokens, transaction.acrValues)
      const fresh = newSession(ctx.config, tokens, ctx.request.headers.get('user-agent'), transaction.dpopKey)
      const login = await applyOnLogin(ctx, tokens, fresh, returnTo, cookies)
      // Session fixation: whatever session the browser had, the login starts a new one (a new id;
      // with a store, the old record goes too: in cookie mode the new cookie replaces the old).
      if (ctx.config.store !== undefined) {
        const previous = await ctx.sessions.read(ctx.site, ctx.cookies)
        if (previous !== undefined) await ctx.config.store.delete(previous.session.id)
      }
      const written = await ctx.sessions.write(ctx.site, ctx.cookies, login.session)
      cookies.push(...written.cookies)
      return { response: redirect(login.returnTo, cookies) }
    } catch (error) {
      // No session was written (refused, or too large for its cookies): no grant stays live.
      await revokeQuietly(
        ctx.client,
        tokens.refreshToken ?? tokens.accessToken,
        tokens.refreshToken ? 'refresh_token' : 'access_token',
      )
      throw error
    }
  } catch (error) {
    return { cookies, error }
  }
}

/**
 * Runs the application's `onLogin`, if any. A login it refuses (or a hook that throws) also ends
 * the session the browser had: a user turned away must not stay signed in, as another or as
 * themselves. The caller revokes the new grant.
 */
async function applyOnLogin(
  ctx: RouteContext,
  tokens: TokenSet,
  fresh: SessionData,
  returnTo: string,
  cookies: string[],
): Promise<{ session: SessionData; returnTo: string }> {
  const hook = ctx.config.onLogin
  if (hook === undefined) return { session: fresh, returnTo }
  const event: LoginEvent = {
    user: fresh.user,
    idTokenClaims: tokens.claims ?? (fresh.user as IdTokenClaims),
    accessToken: tokens.accessToken,
    scope: fresh.tokens.scope ?? '',
    returnTo,
    request: ctx.request,
  }
  try {
    return await applyLoginHook(hook, event, fresh, ctx.site.origin)
  } catch (error) {
    const previous = await ctx.sessions.read(ctx.site, ctx.cookies)
    if (previous !== undefined) ctx.resolver.forget(previous.session.id)
    cookies.push(...(await ctx.sessions.clear(ctx.site, ctx.cookies, previous?.session)))
    throw error
  }
}

/**
 * Revokes the session's refresh token (RFC 7009) so a copy of it dies with the session. Best
 * effort: a provider without a revocation endpoint, or one that fails, does not keep the user
 * logged in here.
 */
/**
 * Logout: a POST from this origin, or a GET navigation from this origin or typed by the user
 * (`Sec-Fetch-Site: none`); cross-site requests are refused, so no other site can end the session.
 * With `idpLogout`, continues at the provider's end_session_endpoint with `id_token_hint`.
 */
export async function logout(ctx: RouteContext): Promise<Response> {
  if (ctx.request.method !== 'GET' && ctx.request.method !== 'POST') {
    throw new SessionError('ERR_METHOD_NOT_ALLOWED', 'Logout takes GET or POST', 405)
  }
  if (!isSameOrigin(ctx.request, ctx.site.origin)) {
    throw new SessionError('ERR_CROSS_SITE_REQUEST', 'Logout must come from this application', 403)
  }
  const read = await ctx.sessions.read(ctx.site, ctx.cookies)
  if (read !== undefined) ctx.resolver.forget(read.session.id)
  const cookies = await ctx.sessions.clear(ctx.site, ctx.cookies, read?.session)
  const refreshToken = read?.session.tokens.refreshToken
  if (refreshToken !== undefined && ctx.config.revokeOnLogout) await revokeQuietly(ctx.client, refreshToken)
  const afterLogout = `${ctx.site.origin}${ctx.config.afterLogout}`
  // 303: the browser follows a POST's redirect with a GET.
  const status = ctx.request.method === 'POST' ? 303 : 302
  const idToken = read?.session.tokens.idToken
  if (idToken !== undefined) {
    const client = await ctx.client()
    const idpLogout = ctx.config.idpLogout ?? typeof client.metadata['end_session_endpoint'] === 'string'
    if (idpLogout) {
      const url = client.endSessionUrl({ idTokenHint: idToken, postLogoutRedirectUri: afterLogout })
      return redirect(url.href, cookies, status)
    }
  }
  return redirect(afterLogout, cookies, status)
}

/** GET session: the user's claims and the session expiry as JSON (never a token), or 401. */
export async function session(ctx: RouteContext): Promise<Response> {
  if (ctx.request.method !== 'GET')
    throw new SessionError('ERR_METHOD_NOT_ALLOWED', 'The session route takes GET', 405)
  const { session, cookies } = await ctx.resolver.resolve(ctx.site, ctx.cookies)
  if (session === null) return json({ error: 'unauthorized', error_description: 'No session' }, 401, cookies)
  return json({ user: session.user, expiresAt: session.expiresAt }, 200, cookies)
}

/**
 * A step-up login must come back with one of the `acr` values it asked for (RFC 9470 §4): a
 * provider that ignored `acr_values` would otherwise send the browser round the page, the login
 * and the provider for ever. (`max_age` is checked with the ID token, through `auth_time`.)
 */
function requireStepUpAcr(tokens: TokenSet, acrValues: readonly string[] | undefined): void {
  if (acrValues === undefined) return
  const acr = tokens.claims?.acr
  if (typeof acr !== 'string' || !acrValues.includes(acr)) {
    throw new AuthorizationResponseError(
      'ERR_LOGIN_ACR_NOT_MET',
      'The provider did not authenticate the user with a requested acr value',
    )
  }
}
