/**
 * Valid session cookies for the servers under test, prepared before any load, and the check that
 * aborts the bench when a server does not accept its cookie (a 401, or a redirect to login, would
 * measure the refusal path instead of the session).
 */

import { type DevIdp, signInToApp } from '@org/dev-idp'
import { decodeJwt } from 'jose'
import { ANONYMOUS, BENCH_USER, type PeerSession, PROTECTED_PATH, type SessionServer } from './types.js'

/**
 * Our sessions are rolling: a cookie written more than a minute ago is rewritten (one `Set-Cookie`
 * per minute for a browser, which stores it). The load generator replays one cookie, so it logs
 * in again before a measured run whenever its cookie is older than this: every measured request
 * then takes the read path a browser's requests take between two renewals.
 */
const RELOGIN_AFTER_MS = 40_000
const SCOPE = 'openid profile email offline_access read'
/** ID-token claims about the token, not the user: our session drops them, so the peers' copy does too. */
const PROTOCOL_CLAIMS = [
  'iss',
  'aud',
  'exp',
  'iat',
  'nbf',
  'jti',
  'nonce',
  'at_hash',
  'c_hash',
  's_hash',
  'azp',
  'auth_time',
  'sid',
]

export class BenchAbort extends Error {}

/** The claims and tokens of a real dev-IdP login, as our session keeps them, for the peers to store. */
export async function peerSession(idp: DevIdp): Promise<PeerSession> {
  // A JWT access token for the IdP's API, as the demo client's logins get.
  const tokens = await idp.getIdToken({ sub: BENCH_USER, scope: SCOPE, resource: idp.resource })
  const claims = decodeJwt(tokens.idToken) as Record<string, unknown>
  for (const claim of PROTOCOL_CLAIMS) delete claims[claim]
  const accessExp = decodeJwt(tokens.accessToken).exp
  return {
    user: { ...claims, sub: String(claims['sub']) },
    tokens: {
      accessToken: tokens.accessToken,
      idToken: tokens.idToken,
      ...(tokens.refreshToken === undefined ? {} : { refreshToken: tokens.refreshToken }),
      ...(accessExp === undefined ? {} : { expiresAt: accessExp }),
      scope: SCOPE,
    },
  }
}

/** `name=value` pairs of `Set-Cookie` lines, as a `Cookie` header. */
function cookieHeader(lines: readonly string[]): string {
  return lines
    .map((line) => line.split(';', 1)[0]?.trim() ?? '')
    .filter((pair) => /^[^=]+=./.test(pair))
    .join('; ')
}

/** Gets (and renews when old) the cookie one running server accepts. */
export class SessionCookie {
  #value: string | undefined
  #at = 0

  constructor(
    readonly spec: SessionServer,
    readonly url: string,
    readonly idp: DevIdp | undefined,
    readonly peer: PeerSession | undefined,
  ) {}

  /** The `Cookie` header to send (`undefined` for a bare server), after a login if due. */
  async headers(): Promise<Record<string, string>> {
    if (this.spec.login === 'none') return {}
    if (
      this.#value === undefined ||
      (this.spec.login === 'oidc' && Date.now() - this.#at > RELOGIN_AFTER_MS)
    ) {
      this.#value = await this.#login()
      this.#at = Date.now()
    }
    return { cookie: this.#value }
  }

  async #login(): Promise<string> {
    const { spec, url } = this
    if (spec.login === 'oidc') {
      if (this.idp === undefined) throw new BenchAbort('no dev IdP to log in with')
      const { jar, landing } = await signInToApp(this.idp.authorize, `${url}/auth/login`)
      await landing.body?.cancel()
      if (landing.status >= 400)
        throw new BenchAbort(`${spec.name}: the login callback answered ${landing.status}`)
      return jar.header()
    }
    if (this.peer === undefined) throw new BenchAbort('no session data for the peer login')
    const response = await fetch(`${url}/bench/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(this.peer),
    })
    await response.body?.cancel()
    if (response.status !== 204)
      throw new BenchAbort(`${spec.name}: /bench/login answered ${response.status}`)
    return cookieHeader(response.headers.getSetCookie())
  }

  /**
   * One request as the load sends it: must answer 200 with the user's `sub` (a bare server:
   * `anonymous`), and, for a session server, no `Set-Cookie` (that would be a write per request).
   * Throws `BenchAbort` otherwise, which stops the bench.
   */
  async check(): Promise<void> {
    const headers = await this.headers()
    const response = await fetch(`${this.url}${PROTECTED_PATH}`, { headers, redirect: 'manual' })
    const body = await response.text()
    const expected = this.spec.login === 'none' ? ANONYMOUS : BENCH_USER
    const where = `${this.spec.name} GET ${PROTECTED_PATH}`
    if (response.status !== 200) {
      const location = response.headers.get('location')
      throw new BenchAbort(
        `${where} answered ${response.status}${location ? ` (redirect to ${location})` : ''} with the prepared session, expected 200`,
      )
    }
    let sub: unknown
    try {
      sub = (JSON.parse(body) as { sub?: unknown }).sub
    } catch {
      sub = undefined
    }
    if (sub !== expected) throw new BenchAbort(`${where}: body ${body.slice(0, 120)} lacks sub "${expected}"`)
    if (this.spec.login !== 'none' && response.headers.getSetCookie().length > 0) {
      throw new BenchAbort(`${where} set a cookie: every measured request would rewrite the session`)
    }
  }
}
