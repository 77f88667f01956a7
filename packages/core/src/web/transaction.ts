/**
 * Login transactions: what must survive between the login redirect and the callback (state,
 * nonce, PKCE verifier, redirect URI, returnTo), each in its own short-lived sealed cookie named
 * after its state, so concurrent logins in several tabs do not overwrite each other. The cookies
 * are bound to the issuer, client and redirect URI, capped in number (transaction cookies piling
 * up until HTTP 431 is a known failure, nextjs-auth0 #2450) and deleted once used.
 */
import type { JWK } from 'jose'
import { AuthorizationResponseError } from '../errors.js'
import type { AuthorizationRequest } from '../oauth/authorization-code.js'
import type { AuthConfig, Site } from './auth-config.js'
import { type CookieAttributes, deleteCookie, serializeCookie } from './cookies.js'
import type { Sealer } from './seal.js'

/** A login in flight, as sealed into its cookie. */
export interface Transaction {
  state: string
  nonce?: string
  codeVerifier?: string
  redirectUri: string
  maxAge?: number
  /** The `acr` values a step-up login asked for: the new ID token must have one of them. */
  acrValues?: readonly string[]
  returnTo: string
  /** Issuer and client the login was started with: a transaction is only valid for them. */
  issuer: string
  clientId: string
  /** The login's own DPoP private key (`dpop: 'session'`): the code is bound to it. */
  dpopKey?: JWK
}

/** The part of the state used in the cookie name: enough to tell logins apart, never the whole value. */
const STATE_ID_LENGTH = 16
/**
 * Most transaction cookies one login looks at (unseals, deletes). A request carrying thousands of
 * forged ones must not cost thousands of decryptions nor answer thousands of `Set-Cookie` lines
 * (hundreds of kilobytes of headers, beyond what proxies accept); the rest are ignored, and later
 * logins delete them a batch at a time.
 */
export const MAX_TRANSACTION_COOKIES = 16

function prefixOf(config: AuthConfig, site: Site): string {
  return `${site.prefix}${config.cookieName}.txn.`
}

/**
 * Attributes of transaction cookies. A `form_post` response arrives as a cross-site POST, on
 * which browsers send only `SameSite=None` cookies (and those only when Secure; browsers accept
 * Secure cookies from http://localhost too).
 */
export function transactionCookie(config: AuthConfig, site: Site): CookieAttributes {
  return config.formPost ? { ...site.cookie, sameSite: 'None', secure: true } : site.cookie
}

export function transactionCookieName(config: AuthConfig, site: Site, state: string): string {
  return `${prefixOf(config, site)}${state.slice(0, STATE_ID_LENGTH).replace(/[^A-Za-z0-9_-]/g, '')}`
}

function isTransaction(payload: Record<string, unknown>): payload is Record<string, unknown> & Transaction {
  return (
    typeof payload['state'] === 'string' &&
    typeof payload['redirectUri'] === 'string' &&
    typeof payload['returnTo'] === 'string' &&
    typeof payload['issuer'] === 'string' &&
    typeof payload['clientId'] === 'string'
  )
}

/**
 * `Set-Cookie` lines for a new login: its own transaction cookie, plus deletions of transaction
 * cookies that are invalid or expired, and of the oldest ones beyond `maxConcurrentLogins`.
 */
export async function startTransaction(
  config: AuthConfig,
  site: Site,
  sealer: Sealer,
  cookies: Map<string, string>,
  request: AuthorizationRequest,
  binding: {
    issuer: string
    clientId: string
    returnTo: string
    acrValues?: readonly string[]
    dpopKey?: JWK | undefined
  },
): Promise<string[]> {
  const prefix = prefixOf(config, site)
  const live: { name: string; iat: number }[] = []
  const lines: string[] = []
  let seen = 0
  for (const [name, value] of cookies) {
    if (!name.startsWith(prefix)) continue
    if (++seen > MAX_TRANSACTION_COOKIES) break
    const unsealed = await sealer.unseal(value)
    if (unsealed === undefined) lines.push(deleteCookie(name, transactionCookie(config, site)))
    else live.push({ name, iat: Number(unsealed.payload['iat']) || 0 })
  }
  live.sort((a, b) => a.iat - b.iat)
  for (const stale of live.slice(0, Math.max(0, live.length - config.maxConcurrentLogins + 1))) {
    lines.push(deleteCookie(stale.name, transactionCookie(config, site)))
  }
  const transaction: Transaction = {
    state: request.state,
    redirectUri: request.redirectUri,
    returnTo: binding.returnTo,
    issuer: binding.issuer,
    clientId: binding.clientId,
    ...(request.nonce === undefined ? {} : { nonce: request.nonce }),
    ...(request.codeVerifier === undefined ? {} : { codeVerifier: request.codeVerifier }),
    ...(request.maxAge === undefined ? {} : { maxAge: request.maxAge }),
    ...(binding.acrValues === undefined ? {} : { acrValues: binding.acrValues }),
    ...(binding.dpopKey === undefined ? {} : { dpopKey: binding.dpopKey }),
  }
  const now = Math.floor(config.now() / 1000)
  const sealed = await sealer.seal({ ...transaction }, now + config.transactionMaxAge)
  lines.push(
    serializeCookie(transactionCookieName(config, site, request.state), sealed, {
      ...transactionCookie(config, site),
      maxAge: config.transactionMaxAge,
    }),
  )
  return lines
}

/**
 * The transaction of a callback's `state`, checked against the issuer, client and redirect URI
 * it must have been started with. Throws `ERR_TRANSACTION_MISSING` (no cookie, or expired or
 * forged) or `ERR_TRANSACTION_MISMATCH` (another issuer, client or redirect URI).
 */
export async function findTransaction(
  config: AuthConfig,
  site: Site,
  sealer: Sealer,
  cookies: Map<string, string>,
  state: string | null,
  expected: { issuer: string; clientId: string; redirectUri: string },
): Promise<Transaction> {
  const value =
    state === null || state.length === 0 ? undefined : cookies.get(transactionCookieName(config, site, state))
  const unsealed = value === undefined ? undefined : await sealer.unseal(value)
  if (unsealed === undefined || !isTransaction(unsealed.payload)) {
    throw new AuthorizationResponseError(
      'ERR_TRANSACTION_MISSING',
      'No login transaction for this callback: it expired, was already used, or was started in another browser',
    )
  }
  const transaction = unsealed.payload
  if (
    transaction.issuer !== expected.issuer ||
    transaction.clientId !== expected.clientId ||
    transaction.redirectUri !== expected.redirectUri
  ) {
    throw new AuthorizationResponseError(
      'ERR_TRANSACTION_MISMATCH',
      'The login transaction was started for another issuer, client or redirect URI',
    )
  }
  return transaction
}
