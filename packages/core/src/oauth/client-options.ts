import type { JWK } from 'jose'
import type { DpopOption } from '../dpop/client-dpop.js'
import type { SignatureAlgorithm } from '../keys/algorithms.js'
import type { AuthorizationServerMetadata } from '../keys/discovery.js'
import type { JSONWebKeySet, PublicKeyInput } from '../keys/public-key.js'
import type { RemoteJwksOptions } from '../keys/remote-jwks.js'
import type { HttpOptions } from '../lib/fetch-json.js'
import type { ClientAuthentication } from './client-auth.js'

export interface OAuthClientOptions extends HttpOptions {
  /** The authorization server's metadata (RFC 8414). `OAuthClient.discover()` fetches it for you. */
  metadata: AuthorizationServerMetadata
  /** This client's `client_id`. Required. */
  clientId: string
  /**
   * How the client authenticates at back-channel endpoints. Default: `ClientSecretBasic(clientSecret)`
   * when `clientSecret` is set, else `None()` (a public client).
   */
  clientAuthentication?: ClientAuthentication
  /** Shorthand for `clientAuthentication: ClientSecretBasic(clientSecret)`. */
  clientSecret?: string
  /** Default `redirect_uri` of authorization requests and code exchanges. */
  redirectUri?: string
  /** Encoding of token requests: `'form'` (RFC 6749) or `'json'` (some servers, crossauth's option). Default: `'form'`. */
  tokenRequestFormat?: 'form' | 'json'
  /**
   * Send authorization requests through PAR (RFC 9126). Default: `true` when the server requires
   * it (`require_pushed_authorization_requests`), else `false`. `true` needs the server to advertise
   * a `pushed_authorization_request_endpoint`.
   */
  pushedAuthorizationRequests?: boolean
  /** Accepted ID-token algorithms. Default: every supported asymmetric algorithm. */
  idTokenAlgorithms?: readonly SignatureAlgorithm[]
  /**
   * Keys of ID tokens, when the server's `jwks_uri` is not to be used: a JWKS object, a JWKS URL,
   * a PEM or a JWK. Default: the `jwks_uri` of the metadata.
   */
  idTokenKeys?: string | URL | JSONWebKeySet | PublicKeyInput | JWK
  /** Cache and network options for the `jwks_uri` key set. */
  jwks?: RemoteJwksOptions
  /** Clock skew tolerated on ID-token times, in seconds. Default: 5. */
  leeway?: number
  /** Oldest ID-token `iat` accepted, in seconds. Default: 600. */
  maxIdTokenAge?: number
  /** Audiences besides `clientId` an ID token may name. Default: none. */
  trustedAudiences?: readonly string[]
  /**
   * Client-side cache of client-credentials tokens, keyed by issuer, client, resource and scope;
   * an entry is dropped `skew` seconds before the token expires. `false` turns it off.
   * Default: on, 100 entries, 30 s skew.
   */
  tokenCache?: false | { maxEntries?: number; skew?: number }
  /**
   * Auth0-style password-MFA endpoints (not in RFC 8414 metadata).
   * Default: `<issuer>/mfa/authenticators` and `<issuer>/mfa/challenge`.
   */
  mfaEndpoints?: { authenticators?: string; challenge?: string }
  /**
   * Sender-constrained tokens (DPoP, RFC 9449): a `DPoPKey` (`createDpopKey()`), or `true` for a
   * key generated for this client on first use (not extractable; lost on restart, so tokens and
   * refresh tokens bound to it die with the process). Every token request (each grant, refresh,
   * device polling, password and MFA) and userinfo call carries a proof by the key, authorization
   * requests carry `dpop_jkt` (a proof at PAR), the latest `DPoP-Nonce` of each server is used, and
   * a `use_dpop_nonce` answer is retried once with the new nonce. Default: none (Bearer tokens).
   */
  dpop?: DpopOption
  /** Allow plain-http endpoints on non-loopback hosts. Default: false. */
  allowInsecureRequests?: boolean
}

/** Options of `OAuthClient.discover()`: everything but the metadata, which it fetches. */
export type DiscoverOAuthClientOptions = Omit<OAuthClientOptions, 'metadata'>
