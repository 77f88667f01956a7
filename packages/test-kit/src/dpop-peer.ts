/**
 * An independent DPoP client for adapter tests: openid-client (panva) obtains a DPoP-bound access
 * token from an OpenID Provider (the dev IdP: oidc-provider issues `cnf.jkt` when the token
 * request carries a proof) and calls an API with a fresh proof per request, retrying once on
 * `use_dpop_nonce` as it does for real.
 */
import * as client from 'openid-client'
import { expect } from 'vitest'

export interface DpopPeerOptions {
  issuer: string
  clientId: string
  clientSecret: string
  /** RFC 8707 resource: the audience of the token. */
  resource: string
  scope?: string
}

export interface DpopPeer {
  /** The DPoP-bound access token. */
  readonly accessToken: string
  /** `token_type` the provider answered (`DPoP` for a bound token). */
  readonly tokenType: string
  /** Calls `url` the way openid-client does: `Authorization: DPoP <token>` and a fresh proof. */
  call(url: string, method?: string): Promise<Response>
}

/** Obtains a DPoP-bound token by the client credentials grant, with openid-client's own key and proofs. */
export async function dpopPeer(options: DpopPeerOptions): Promise<DpopPeer> {
  const config = await client.discovery(
    new URL(options.issuer),
    options.clientId,
    options.clientSecret,
    undefined,
    { execute: [client.allowInsecureRequests] },
  )
  const DPoP = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'))
  const tokens = await client.clientCredentialsGrant(
    config,
    { scope: options.scope ?? 'read', resource: options.resource },
    { DPoP },
  )
  return {
    accessToken: tokens.access_token,
    tokenType: tokens.token_type,
    call: (url, method = 'GET') =>
      client.fetchProtectedResource(config, tokens.access_token, new URL(url), method, undefined, undefined, {
        DPoP,
      }),
  }
}

/**
 * The checks every adapter's peer test makes against `url` (a route that answers 200 with the
 * caller's `{ jkt }` when authenticated): openid-client's proof passes; the same bound token
 * without a proof, as `Bearer`, or with a replayed proof is refused with the RFC 9449 challenge.
 */
export async function expectDpopPeerAccepted(peer: DpopPeer, url: string): Promise<void> {
  expect(peer.tokenType.toLowerCase()).toBe('dpop')
  const ok = await peer.call(url)
  expect(ok.status).toBe(200)
  const again = await peer.call(url)
  expect(again.status).toBe(200)

  const noProof = await fetch(url, { headers: { authorization: `DPoP ${peer.accessToken}` } })
  expect(noProof.status).toBe(401)
  expect(noProof.headers.get('www-authenticate')).toMatch(/(^|, )DPoP error="invalid_dpop_proof"/)
  expect(await noProof.json()).toMatchObject({ error: 'invalid_dpop_proof' })

  const asBearer = await fetch(url, { headers: { authorization: `Bearer ${peer.accessToken}` } })
  expect(asBearer.status).toBe(401)
  expect(asBearer.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/)

  const missing = await fetch(url)
  expect(missing.status).toBe(401)
  expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer(, | realm="[^"]*", )DPoP /)
}
