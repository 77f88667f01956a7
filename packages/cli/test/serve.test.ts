/**
 * `org-auth serve` over real HTTP: a client added by the CLI gets a token at POST /token with the
 * secret `add` printed, the token verifies against the served JWKS, a rotation's grace keeps the
 * old secret working, and the bin shuts down cleanly on SIGTERM.
 */
import { createTokenVerifier, type JSONWebKeySet } from '@org/auth-core'
import { describe, expect, it } from 'vitest'
import { backends, cli, freePort, json, pgliteBackend, spawnBin, type Target } from './helpers.js'

async function addClient(target: Target, scope = 'reports:read') {
  const added = await cli(
    [
      'clients',
      'add',
      '--name',
      'Reporter',
      '--type',
      'confidential',
      '--grant',
      'client_credentials',
      '--scope',
      scope,
      '--audience',
      'https://api.example.com',
      '--json',
      ...target.args,
    ],
    target.env,
  )
  expect(added.code, added.stderr).toBe(0)
  const { client, clientSecret } = json<{ client: { clientId: string }; clientSecret: string }>(added)
  return { clientId: client.clientId, clientSecret }
}

async function rotate(target: Target, clientId: string, grace: number): Promise<string> {
  const rotated = await cli(
    ['clients', 'rotate-secret', clientId, '--grace', String(grace), '--json', ...target.args],
    target.env,
  )
  expect(rotated.code, rotated.stderr).toBe(0)
  return json<{ clientSecret: string }>(rotated).clientSecret
}

/** POST /token with client_secret_basic, as a client library sends it. */
function requestToken(issuer: string, clientId: string, secret: string) {
  const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString(
    'base64',
  )
  return fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource: 'https://api.example.com' }),
  })
}

for (const backend of backends()) {
  describe(`serve on ${backend.name}`, () => {
    it('issues a verifiable token to the secret add printed; grace keeps a rotated secret working', async () => {
      const target = await backend.fresh()
      const generated = await cli(
        ['keys', 'generate', '--alg', 'EdDSA', '--json', ...target.args],
        target.env,
      )
      expect(generated.code, generated.stderr).toBe(0)
      const a = await addClient(target)
      const aNew = await rotate(target, a.clientId, 3600)
      const b = await addClient(target)
      const bNew = await rotate(target, b.clientId, 0)

      const port = await freePort()
      const issuer = `http://127.0.0.1:${port}/oauth`
      const controller = new AbortController()
      let resolveListening: (line: string) => void = () => {}
      const listening = new Promise<string>((resolve) => {
        resolveListening = resolve
      })
      let output = ''
      const served = (async () => {
        const { run } = await import('../src/index.js')
        return run(['serve', '--issuer', issuer, '--port', String(port), '--json', ...target.args], {
          stdout: (text) => {
            output += text
            resolveListening(text)
          },
          stderr: (text) => {
            output += text
          },
          env: target.env,
          signal: controller.signal,
        })
      })()
      try {
        const line = JSON.parse(await listening)
        expect(line).toEqual({ listening: `http://127.0.0.1:${port}`, issuer })

        const response = await requestToken(issuer, a.clientId, a.clientSecret)
        expect(response.status).toBe(200)
        const body = (await response.json()) as { access_token: string; token_type: string; scope: string }
        expect(body).toMatchObject({ token_type: 'Bearer', scope: 'reports:read' })
        const jwks = (await (await fetch(`${issuer}/jwks.json`)).json()) as JSONWebKeySet
        const verifier = createTokenVerifier({
          issuer,
          audience: 'https://api.example.com',
          jwks,
          onWarning: false,
        })
        await expect(verifier.verify(body.access_token)).resolves.toMatchObject({ client_id: a.clientId })

        // The rotated secret, and the old one within its grace; with no grace the old one is refused.
        expect((await requestToken(issuer, a.clientId, aNew)).status).toBe(200)
        expect((await requestToken(issuer, b.clientId, bNew)).status).toBe(200)
        const refused = await requestToken(issuer, b.clientId, b.clientSecret)
        expect(refused.status).toBe(401)
        expect(await refused.json()).toMatchObject({ error: 'invalid_client' })
      } finally {
        controller.abort()
      }
      expect(await served, output).toBe(0)
    })
  })
}

describe('serve through the bin', () => {
  const backend = pgliteBackend()

  it('listens, answers, and exits 0 on SIGTERM', async () => {
    const target = await backend.fresh()
    expect((await cli(['keys', 'generate', ...target.args], target.env)).code).toBe(0)
    const port = await freePort()
    const issuer = `http://127.0.0.1:${port}`
    const server = spawnBin(
      ['serve', '--issuer', issuer, '--port', String(port), ...target.args],
      target.env,
      /listening on (\S+)/,
    )
    const [, url] = await server.ready
    expect(url).toBe(`http://127.0.0.1:${port}`)
    const metadata = await (await fetch(`${issuer}/.well-known/oauth-authorization-server`)).json()
    expect(metadata).toMatchObject({ issuer, token_endpoint: `${issuer}/token` })
    server.child.kill('SIGTERM')
    const result = await server.exited
    expect(result.code, result.stderr).toBe(0)
    expect(result.stderr).toBe('')
  })
})
