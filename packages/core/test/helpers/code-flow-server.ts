import { createHash } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { makeKey, nowSeconds, type TestKey } from '@org/test-kit/keys'
import { type JWTPayload, SignJWT } from 'jose'
import { OAuthClient, type OAuthClientOptions } from '../../src/index.js'
import { type FaultServer, readBody, startFaultServer } from './fault-server.js'

export const CLIENT_ID = 'code-flow-client'
export const CLIENT_SECRET = 'code-flow-secret'
export const REDIRECT_URI = 'https://app.example.test/callback'

/** `at_hash` / `c_hash` for RS256, computed with node:crypto (independently of the code under test). */
export function sha256LeftHalf(value: string): string {
  return createHash('sha256').update(value, 'ascii').digest().subarray(0, 16).toString('base64url')
}

/** A signed ID token: valid for CLIENT_ID and `issuer` unless the caller overrides claims or header. */
export function signIdToken(
  key: TestKey,
  issuer: string,
  claims: JWTPayload = {},
  header: Record<string, unknown> = {},
): Promise<string> {
  const now = nowSeconds()
  return new SignJWT({ iss: issuer, aud: CLIENT_ID, sub: 'alice', iat: now, exp: now + 300, ...claims })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...header })
    .sign(key.privateKey)
}

/** Answers one form POST with an HTTP status and a JSON body. */
export type FormHandler = (form: URLSearchParams, headers: IncomingHttpHeaders) => Promise<[number, unknown]>

/** What the fake token endpoint answers, computed per request from the form it received. */
export type TokenAnswer = (form: URLSearchParams) => Promise<Record<string, unknown>>

/**
 * A scripted authorization server on a fault server: metadata, a static JWKS with one RS256 key,
 * and a token endpoint that records each request and answers what the test scripts. Counting its
 * hits is how tests prove that a hostile callback never reached the token endpoint.
 */
export async function startCodeFlowServer() {
  const server: FaultServer = await startFaultServer()
  const key = await makeKey('RS256')
  const issuer = server.base
  const tokenRequests: URLSearchParams[] = []
  let answer: TokenAnswer = async () => ({ access_token: 'at-1', token_type: 'Bearer', expires_in: 300 })
  server.json('/jwks', { keys: [key.publicJwk] })
  /** A JSON endpoint that reads each request's form body and answers `[status, body]`. */
  const formRoute = (path: string, handle: FormHandler) => {
    server.route(path, (req, res) => {
      void readBody(req).then(async (body) => {
        const [status, json] = await handle(new URLSearchParams(body), req.headers)
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json))
      })
    })
  }
  formRoute('/token', async (form) => {
    tokenRequests.push(form)
    return [200, await answer(form)]
  })
  const metadata = {
    issuer,
    authorization_endpoint: server.url('/authorize'),
    token_endpoint: server.url('/token'),
    jwks_uri: server.url('/jwks'),
    end_session_endpoint: server.url('/logout'),
    pushed_authorization_request_endpoint: server.url('/par'),
    authorization_response_iss_parameter_supported: true,
  }
  return {
    server,
    key,
    issuer,
    metadata,
    tokenRequests,
    formRoute,
    /** How many requests reached the token endpoint. */
    tokenHits: () => server.hits('/token'),
    /** Scripts the token endpoint's answer. */
    answer(next: TokenAnswer) {
      answer = next
    },
    /** A confidential client of this server (client_secret_basic), with overridable options. */
    client(options: Partial<OAuthClientOptions> = {}) {
      return new OAuthClient({
        metadata,
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        redirectUri: REDIRECT_URI,
        ...options,
      })
    },
    idToken: (claims?: JWTPayload, header?: Record<string, unknown>) =>
      signIdToken(key, issuer, claims, header),
    /** The redirect back to the client with these parameters (repeated keys kept, in order). */
    callback(params: [string, string][]): URL {
      const url = new URL(REDIRECT_URI)
      for (const [name, value] of params) url.searchParams.append(name, value)
      return url
    },
    close: () => server.close(),
  }
}

export type CodeFlowServer = Awaited<ReturnType<typeof startCodeFlowServer>>
