import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AuthorizationResponseError, ConfigurationError, None } from '../src/index.js'
import {
  CLIENT_ID,
  CLIENT_SECRET,
  type CodeFlowServer,
  REDIRECT_URI,
  sha256LeftHalf,
  startCodeFlowServer,
} from './helpers/code-flow-server.js'

// Every hostile callback must be refused before the token endpoint is called: each test counts
// the fake server's token endpoint hits. The first test proves the same setup does reach it.
let as: CodeFlowServer
beforeEach(async () => {
  as = await startCodeFlowServer()
})
afterEach(async () => {
  await as.close()
})

const kept = { state: 'kept-state-value', redirectUri: REDIRECT_URI, codeVerifier: 'kept-verifier' }

async function refused(input: URL | string | Request, code: string, expected = kept) {
  const error = await as
    .client()
    .handleCallback(input, expected)
    .then(
      () => undefined,
      (e: unknown) => e,
    )
  expect(error).toBeInstanceOf(AuthorizationResponseError)
  expect(error).toMatchObject({ code, status: 400 })
  expect(as.tokenHits()).toBe(0)
  return error as AuthorizationResponseError
}

describe('handleCallback: a valid response', () => {
  it('exchanges the code with the kept redirect URI and PKCE verifier', async () => {
    const callback = as.callback([
      ['code', 'the-code'],
      ['state', kept.state],
      ['iss', as.issuer],
    ])
    const tokens = await as.client().handleCallback(callback, kept)
    expect(tokens).toMatchObject({ accessToken: 'at-1', tokenType: 'Bearer', expiresIn: 300 })
    expect(as.tokenHits()).toBe(1)
    expect(Object.fromEntries(as.tokenRequests[0] ?? [])).toEqual({
      grant_type: 'authorization_code',
      code: 'the-code',
      redirect_uri: REDIRECT_URI,
      code_verifier: 'kept-verifier',
    })
  })

  it('accepts the callback as a string, and a Request of response_mode=form_post', async () => {
    const params: [string, string][] = [
      ['code', 'c-1'],
      ['state', kept.state],
      ['iss', as.issuer],
    ]
    await as.client().handleCallback(as.callback(params).href, kept)
    const form = new Request(`${REDIRECT_URI}?state=forged&code=forged`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: new URLSearchParams(params).toString(),
    })
    await as.client().handleCallback(form, kept)
    // The body, not the query, is the response in form_post mode.
    expect(as.tokenRequests.map((form) => form.get('code'))).toEqual(['c-1', 'c-1'])
  })

  it('accepts a missing iss when the server does not advertise RFC 9207', async () => {
    const client = as.client({
      metadata: { ...as.metadata, authorization_response_iss_parameter_supported: false },
    })
    const callback = as.callback([
      ['code', 'c-2'],
      ['state', kept.state],
    ])
    await expect(client.handleCallback(callback, kept)).resolves.toMatchObject({ accessToken: 'at-1' })
  })

  it('requires and verifies the ID token when a nonce was kept', async () => {
    as.answer(async (form) => ({
      access_token: 'at-oidc',
      token_type: 'Bearer',
      id_token: await as.idToken({
        nonce: 'kept-nonce',
        at_hash: sha256LeftHalf('at-oidc'),
        c_hash: sha256LeftHalf(form.get('code') ?? ''),
      }),
    }))
    const callback = as.callback([
      ['code', 'c-3'],
      ['state', kept.state],
      ['iss', as.issuer],
    ])
    const tokens = await as.client().handleCallback(callback, { ...kept, nonce: 'kept-nonce' })
    expect(tokens.claims).toMatchObject({ sub: 'alice', nonce: 'kept-nonce', iss: as.issuer })
  })
})

describe('handleCallback: hostile responses never reach the token endpoint', () => {
  const ok = (): [string, string][] => [
    ['code', 'c'],
    ['state', kept.state],
    ['iss', as.issuer],
  ]
  const without = (name: string) => ok().filter(([key]) => key !== name)
  const replacing = (name: string, value: string) =>
    ok().map(([key, v]): [string, string] => [key, key === name ? value : v])

  it('missing state', async () => {
    await refused(as.callback(without('state')), 'ERR_STATE_MISSING')
  })

  it('mismatched state, including a prefix and an empty one', async () => {
    await refused(as.callback(replacing('state', 'attacker-state')), 'ERR_STATE_MISMATCH')
    await refused(as.callback(replacing('state', kept.state.slice(0, -1))), 'ERR_STATE_MISMATCH')
    await refused(as.callback(replacing('state', '')), 'ERR_STATE_MISSING')
  })

  it('missing iss when the server advertises it', async () => {
    await refused(as.callback(without('iss')), 'ERR_ISSUER_MISSING')
  })

  it('wrong iss, and iss with a trailing slash', async () => {
    await refused(as.callback(replacing('iss', 'https://attacker.example')), 'ERR_ISSUER_MISMATCH')
    await refused(as.callback(replacing('iss', `${as.issuer}/`)), 'ERR_ISSUER_MISMATCH')
  })

  it('wrong iss even when the server does not advertise RFC 9207', async () => {
    const client = as.client({
      metadata: { ...as.metadata, authorization_response_iss_parameter_supported: false },
    })
    await expect(
      client.handleCallback(as.callback(replacing('iss', 'https://attacker.example')), kept),
    ).rejects.toMatchObject({ code: 'ERR_ISSUER_MISMATCH' })
    expect(as.tokenHits()).toBe(0)
  })

  it('code and error together', async () => {
    await refused(as.callback([...ok(), ['error', 'access_denied']]), 'ERR_CALLBACK_AMBIGUOUS')
  })

  it('error only: denied, carrying error and error_description', async () => {
    const error = await refused(
      as.callback([
        ...without('code'),
        ['error', 'access_denied'],
        ['error_description', 'End-User aborted interaction'],
      ]),
      'ERR_AUTHORIZATION_DENIED',
    )
    expect(error.error).toBe('access_denied')
    expect(error.errorDescription).toBe('End-User aborted interaction')
    expect(error.message).toBe('The authorization server refused the request with "access_denied"')
  })

  it('an error with the wrong state is a state failure, not a denial', async () => {
    await refused(
      as.callback([
        ['state', 'attacker-state'],
        ['error', 'access_denied'],
        ['iss', as.issuer],
      ]),
      'ERR_STATE_MISMATCH',
    )
  })

  it('no code', async () => {
    await refused(as.callback(without('code')), 'ERR_CODE_MISSING')
    await refused(as.callback(replacing('code', '')), 'ERR_CODE_MISSING')
  })

  it('duplicated state, code or iss', async () => {
    await refused(as.callback([...ok(), ['state', kept.state]]), 'ERR_CALLBACK_INVALID')
    await refused(as.callback([...ok(), ['state', 'attacker-state']]), 'ERR_CALLBACK_INVALID')
    await refused(as.callback([...ok(), ['code', 'attacker-code']]), 'ERR_CALLBACK_INVALID')
    await refused(as.callback([...ok(), ['iss', as.issuer]]), 'ERR_CALLBACK_INVALID')
  })

  it('malformed inputs: not a URL, a PUT, a POST that is not a form', async () => {
    await refused('not a url', 'ERR_CALLBACK_INVALID')
    await refused(new Request(as.callback(ok()), { method: 'PUT' }), 'ERR_CALLBACK_INVALID')
    const json = new Request(REDIRECT_URI, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(Object.fromEntries(ok())),
    })
    await refused(json, 'ERR_CALLBACK_INVALID')
    const huge = new Request(REDIRECT_URI, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `${new URLSearchParams(ok())}&pad=${'x'.repeat(70_000)}`,
    })
    await refused(huge, 'ERR_CALLBACK_INVALID')
  })

  it('a duck-typed request (no Request class) is read like one', async () => {
    const url = as.callback(replacing('state', 'attacker-state')).href
    const requestLike = { url, method: 'GET', headers: new Headers(), text: async () => '' }
    await refused(requestLike as unknown as Request, 'ERR_STATE_MISMATCH')
  })
})

describe('handleCallback: what the caller kept (CVE-2023-27490)', () => {
  it('refuses to run without a kept state, even when the callback has none either', async () => {
    const stripped = as.callback([
      ['code', 'c'],
      ['iss', as.issuer],
    ])
    for (const state of [undefined, '']) {
      const expected = { ...kept, state } as unknown as typeof kept
      const error = await as
        .client()
        .handleCallback(stripped, expected)
        .catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ConfigurationError)
      expect(error).toMatchObject({ code: 'ERR_INVALID_OPTION' })
    }
    expect(as.tokenHits()).toBe(0)
  })

  it('a public client refuses a callback without the kept PKCE verifier', async () => {
    const client = as.client({ clientSecret: undefined, clientAuthentication: None() })
    const callback = as.callback([
      ['code', 'c'],
      ['state', kept.state],
      ['iss', as.issuer],
    ])
    const { codeVerifier: _dropped, ...withoutVerifier } = kept
    await expect(client.handleCallback(callback, withoutVerifier)).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTION',
    })
    expect(as.tokenHits()).toBe(0)
  })

  it('requires the kept redirect URI', async () => {
    const callback = as.callback([
      ['code', 'c'],
      ['state', kept.state],
      ['iss', as.issuer],
    ])
    const expected = { ...kept, redirectUri: undefined } as unknown as typeof kept
    await expect(as.client().handleCallback(callback, expected)).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTION',
    })
    expect(as.tokenHits()).toBe(0)
  })
})

describe('authorizationUrl through PAR (RFC 9126), against a scripted server', () => {
  it('pushes a form with client authentication even when token requests are JSON', async () => {
    const pushed: { form: URLSearchParams; type: string | undefined; auth: string | undefined }[] = []
    as.formRoute('/par', async (form, headers) => {
      pushed.push({ form, type: headers['content-type'], auth: headers.authorization })
      return [201, { request_uri: 'urn:ietf:params:oauth:request_uri:abc', expires_in: 60 }]
    })
    const client = as.client({ pushedAuthorizationRequests: true, tokenRequestFormat: 'json' })
    const request = await client.authorizationUrl({ resource: ['https://a.test', 'https://b.test'] })
    expect(request.url.href).toBe(
      `${as.metadata.authorization_endpoint}?client_id=${CLIENT_ID}&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Aabc`,
    )
    expect(pushed[0]?.type).toBe('application/x-www-form-urlencoded')
    expect(pushed[0]?.auth).toBe(`Basic ${btoa(`${CLIENT_ID}:${CLIENT_SECRET}`)}`)
    expect(pushed[0]?.form.get('state')).toBe(request.state)
    expect(pushed[0]?.form.getAll('resource')).toEqual(['https://a.test', 'https://b.test'])
  })

  it('refuses a PAR answer that is not RFC 9126 §2.2', async () => {
    const client = as.client({ pushedAuthorizationRequests: true })
    const answers: [number, unknown, Record<string, unknown>][] = [
      [200, { request_uri: 'urn:x', expires_in: 60 }, { code: 'ERR_HTTP_STATUS' }],
      [201, { expires_in: 60 }, { code: 'ERR_PAR_RESPONSE_INVALID' }],
      [201, { request_uri: 'urn:x', expires_in: '60' }, { code: 'ERR_PAR_RESPONSE_INVALID' }],
      [201, { request_uri: 'urn:x', expires_in: 1.5 }, { code: 'ERR_PAR_RESPONSE_INVALID' }],
      [400, { error: 'invalid_request' }, { code: 'ERR_OAUTH_EXCHANGE', error: 'invalid_request' }],
    ]
    for (const [status, body, error] of answers) {
      as.formRoute('/par', async () => [status, body])
      await expect(client.authorizationUrl()).rejects.toMatchObject(error)
    }
  })
})
