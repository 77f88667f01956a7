import type { ServerResponse } from 'node:http'
import { makeKey, type TestKey } from '@org/test-kit/keys'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  type AuthError,
  exchangeCodeForClaims,
  isAuthError,
  OAuthClient,
  OAuthExchangeError,
  RemoteResponseError,
  skipSubjectCheck,
} from '../src/index.js'
import { type FaultServer, startFaultServer } from './helpers/fault-server.js'

// Values that must never surface in an error: the code, the client secret and issued tokens.
const CODE = 'code-SplxlOBeZQQYbYS6WxSbIA'
const SECRET = 'secret-7Fjfp0ZBr1KtDRbnfVdmIw'
const ACCESS_TOKEN = 'at-2YotnFZFEjr1zCsicMWpAA'
const SENSITIVE = [CODE, SECRET, ACCESS_TOKEN]
// Above the back-channel cap of 256 KiB.
const HUGE = 300 * 1024

let server: FaultServer
let key: TestKey
beforeAll(async () => {
  key = await makeKey('ES256')
})
beforeEach(async () => {
  server = await startFaultServer()
})
afterEach(() => server.close())

/** Awaits a rejection and checks it is a typed error that leaks nothing sensitive. */
async function failure(promise: Promise<unknown>): Promise<AuthError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!isAuthError(error)) throw new Error(`expected an AuthError, got ${String(error)}`)
  for (const text of [String(error), error.message, JSON.stringify(error)]) {
    for (const value of SENSITIVE) expect(text).not.toContain(value)
  }
  return error
}

function exchange(timeout?: number) {
  return exchangeCodeForClaims({
    code: CODE,
    tokenUrl: server.url('/token'),
    clientId: 'client-1',
    clientSecret: SECRET,
    codeVerifier: 'verifier-1',
    publicKey: key.publicJwk,
    ...(timeout === undefined ? {} : { timeout }),
  })
}

function html(status: number) {
  return (_req: unknown, res: ServerResponse) => {
    res.writeHead(status, { 'content-type': 'text/html' }).end(`<html>${CODE} ${SECRET}</html>`)
  }
}

describe('token endpoint faults', () => {
  it('refuses HTML, whatever the status', async () => {
    for (const status of [200, 400]) {
      server.route('/token', html(status))
      expect(await failure(exchange())).toMatchObject({ code: 'ERR_HTTP_CONTENT_TYPE', status: 502 })
    }
  })

  it('refuses a 500 even with a JSON error body', async () => {
    server.json('/token', { error: 'server_error' }, 500)
    expect(await failure(exchange())).toMatchObject({ code: 'ERR_HTTP_STATUS' })
  })

  it('refuses a redirect and never follows it', async () => {
    server.route('/token', (_req, res) => {
      res.writeHead(302, { location: server.url('/elsewhere') }).end()
    })
    server.json('/elsewhere', { access_token: ACCESS_TOKEN, token_type: 'Bearer' })
    const error = await failure(exchange())
    expect(error).toMatchObject({ code: 'ERR_HTTP_STATUS' })
    expect(error.message).toContain('302')
    expect(server.hits('/elsewhere')).toBe(0)
  })

  it('gives up on a server that never answers', async () => {
    server.route('/token', () => {})
    expect(await failure(exchange(200))).toMatchObject({ code: 'ERR_HTTP_TIMEOUT' })
    expect(server.hits('/token')).toBe(1)
  })

  it('refuses a huge body, declared or streamed', async () => {
    const body = JSON.stringify({ access_token: 'x'.repeat(HUGE), token_type: 'Bearer' })
    server.route('/token', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }).end(body)
    })
    expect(await failure(exchange())).toMatchObject({ code: 'ERR_HTTP_TOO_LARGE' })
    server.route('/token', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      for (let i = 0; i < body.length; i += 16 * 1024) res.write(body.slice(i, i + 16 * 1024))
      res.end()
    })
    expect(await failure(exchange())).toMatchObject({ code: 'ERR_HTTP_TOO_LARGE' })
  })

  it('refuses a JSON array', async () => {
    server.json('/token', [{ access_token: ACCESS_TOKEN, token_type: 'Bearer' }])
    expect(await failure(exchange())).toMatchObject({ code: 'ERR_OAUTH_RESPONSE_INVALID' })
  })

  it('maps an RFC 6749 error to OAuthExchangeError without the code or secret', async () => {
    let form: URLSearchParams | undefined
    let authorization: string | undefined
    server.route('/token', (req, res) => {
      let text = ''
      req.on('data', (chunk: Buffer) => {
        text += chunk.toString()
      })
      req.on('end', () => {
        form = new URLSearchParams(text)
        authorization = req.headers.authorization
        res
          .writeHead(400, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: 'invalid_grant', error_description: 'grant request is invalid' }))
      })
    })
    const error = await failure(exchange())
    expect(error).toBeInstanceOf(OAuthExchangeError)
    expect(error).toMatchObject({
      code: 'ERR_OAUTH_EXCHANGE',
      error: 'invalid_grant',
      errorDescription: 'grant request is invalid',
      status: 400,
    })
    expect(Object.fromEntries(form ?? [])).toEqual({
      grant_type: 'authorization_code',
      code: CODE,
      code_verifier: 'verifier-1',
    })
    expect(authorization).toBe(`Basic ${btoa(`client-1:${SECRET}`)}`)
  })

  it('replaces an error value outside the RFC 6749 character set', async () => {
    server.json('/token', { error: `bad"grant\\${CODE}\u0000`, error_description: `see ${SECRET}\n` }, 400)
    const error = await failure(exchange())
    expect(error).toMatchObject({ code: 'ERR_OAUTH_EXCHANGE', error: 'invalid_response' })
    expect((error as OAuthExchangeError).errorDescription).toBeUndefined()
  })

  it('refuses a token type other than Bearer, and a response without an access token', async () => {
    server.json('/token', { access_token: ACCESS_TOKEN, token_type: 'mac', id_token: 'x.y.z' })
    expect(await failure(exchange())).toMatchObject({ code: 'ERR_TOKEN_TYPE_UNSUPPORTED' })
    server.json('/token', { token_type: 'Bearer', id_token: 'x.y.z' })
    expect(await failure(exchange())).toMatchObject({ code: 'ERR_TOKEN_RESPONSE_INVALID' })
    server.json('/token', { access_token: ACCESS_TOKEN, token_type: 'bearer' })
    expect(await failure(exchange())).toMatchObject({ code: 'ERR_ID_TOKEN_MISSING' })
  })

  it('refuses an ID token it cannot verify', async () => {
    server.json('/token', { access_token: ACCESS_TOKEN, token_type: 'Bearer', id_token: 'x.y.z' })
    expect(await failure(exchange())).toMatchObject({ code: 'ERR_JWT_MALFORMED', status: 401 })
  })
})

describe('userinfo, revocation and introspection faults', () => {
  function client() {
    return new OAuthClient({
      metadata: {
        issuer: server.base,
        userinfo_endpoint: server.url('/userinfo'),
        revocation_endpoint: server.url('/revoke'),
        introspection_endpoint: server.url('/introspect'),
      },
      clientId: 'client-1',
      clientSecret: SECRET,
      timeout: 500,
    })
  }

  it('refuses a signed userinfo with a clear error', async () => {
    server.route('/userinfo', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/jwt' }).end('eyJhbGciOiJSUzI1NiJ9.e30.c2ln')
    })
    const error = await failure(client().userinfo(ACCESS_TOKEN, 'bob'))
    expect(error).toBeInstanceOf(RemoteResponseError)
    expect(error).toMatchObject({ code: 'ERR_USERINFO_SIGNED' })
    expect(error.message).toContain('application/jwt')
  })

  it('refuses a userinfo without a string sub, even when skipping the subject check', async () => {
    for (const body of [{ email: 'bob@example.test' }, { sub: 42 }, { sub: '' }]) {
      server.json('/userinfo', body)
      expect(await failure(client().userinfo(ACCESS_TOKEN, skipSubjectCheck))).toMatchObject({
        code: 'ERR_USERINFO_INVALID',
      })
    }
    server.json('/userinfo', ['bob'])
    expect(await failure(client().userinfo(ACCESS_TOKEN, 'bob'))).toMatchObject({
      code: 'ERR_OAUTH_RESPONSE_INVALID',
    })
  })

  it('reports a refused access token at userinfo as invalid_token', async () => {
    server.json('/userinfo', { error: 'invalid_token', error_description: 'token expired' }, 401)
    expect(await failure(client().userinfo(ACCESS_TOKEN, 'bob'))).toMatchObject({
      code: 'ERR_OAUTH_EXCHANGE',
      error: 'invalid_token',
    })
  })

  it('accepts an empty or JSON 200 from the revocation endpoint, and refuses HTML or a 503', async () => {
    server.route('/revoke', (_req, res) => res.writeHead(200).end())
    await expect(client().revoke(ACCESS_TOKEN)).resolves.toBeUndefined()
    server.json('/revoke', {})
    await expect(client().revoke(ACCESS_TOKEN, 'access_token')).resolves.toBeUndefined()
    server.route('/revoke', html(200))
    expect(await failure(client().revoke(ACCESS_TOKEN))).toMatchObject({ code: 'ERR_HTTP_CONTENT_TYPE' })
    server.json('/revoke', { error: 'temporarily_unavailable' }, 503)
    expect(await failure(client().revoke(ACCESS_TOKEN))).toMatchObject({ code: 'ERR_HTTP_STATUS' })
    expect(server.hits('/revoke')).toBe(4)
  })

  it('refuses an introspection response whose fields have the wrong types', async () => {
    const bodies = [
      {},
      { active: 'true' },
      { active: 1 },
      { active: true, exp: '1700000000' },
      { active: true, aud: [1] },
    ]
    for (const body of bodies) {
      server.json('/introspect', body)
      expect(await failure(client().introspect(ACCESS_TOKEN))).toMatchObject({
        code: 'ERR_INTROSPECTION_INVALID',
      })
    }
    server.json('/introspect', { active: false, sub: 'bob', scope: 'read' })
    await expect(client().introspect(ACCESS_TOKEN)).resolves.toEqual({ active: false })
  })

  it('slow endpoints time out', async () => {
    server.route('/introspect', () => {})
    expect(await failure(client().introspect(ACCESS_TOKEN))).toMatchObject({ code: 'ERR_HTTP_TIMEOUT' })
  })
})
