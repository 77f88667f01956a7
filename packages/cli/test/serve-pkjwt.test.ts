/**
 * `org-auth serve` with a private_key_jwt client registered by the CLI from a JWKS file, over real
 * HTTP: a signed client assertion gets a token once, a replay of it is refused, and a token
 * revoked at /revoke is inactive at /introspect. On PostgreSQL two instances share the schema, so
 * the replay and the introspection go to the other instance: the records live in the database.
 */
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import { afterAll, describe, expect, it } from 'vitest'
import { run } from '../src/index.js'
import { backends, cli, freePort, json, type Target } from './helpers.js'

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
const dir = mkdtempSync(join(tmpdir(), 'org-auth-cli-serve-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Runs `serve` in-process on `port` for `issuer`; resolves once it listens. */
async function startServe(target: Target, issuer: string, port: number) {
  const controller = new AbortController()
  let output = ''
  let listening: (value: unknown) => void = () => {}
  const ready = new Promise((resolve) => {
    listening = resolve
  })
  const exited = run(['serve', '--issuer', issuer, '--port', String(port), '--json', ...target.args], {
    stdout: (text) => {
      output += text
      listening(text)
    },
    stderr: (text) => {
      output += text
    },
    env: target.env,
    signal: controller.signal,
  })
  await Promise.race([
    ready,
    exited.then((code) => Promise.reject(new Error(`serve exited ${code}: ${output}`))),
  ])
  return {
    url: `http://127.0.0.1:${port}/oauth`,
    stop: async () => {
      controller.abort()
      return { code: await exited, output }
    },
  }
}

for (const backend of backends()) {
  describe(`serve with a private_key_jwt client on ${backend.name}`, () => {
    it('one token per assertion, a replay is 401, a revoked token introspects inactive', async () => {
      const target = await backend.fresh()
      expect((await cli(['keys', 'generate', '--alg', 'ES256', ...target.args], target.env)).code).toBe(0)
      const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
      const path = join(dir, `${randomUUID()}.json`)
      writeFileSync(
        path,
        JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'EdDSA' }] }),
      )
      const added = await cli(
        [
          'clients',
          'add',
          '--name',
          'Signer',
          '--type',
          'confidential',
          '--grant',
          'client_credentials',
          '--scope',
          'reports:read',
          '--audience',
          'https://api.example.com',
          '--auth-method',
          'private_key_jwt',
          '--jwks',
          path,
          '--json',
          ...target.args,
        ],
        target.env,
      )
      expect(added.code, added.stderr).toBe(0)
      const { clientId } = json<{ client: { clientId: string } }>(added).client

      const port = await freePort()
      const issuer = `http://127.0.0.1:${port}/oauth`
      const first = await startServe(target, issuer, port)
      // PGlite is one process's database: a second instance needs the server.
      const second = backend.name.startsWith('PostgreSQL')
        ? await startServe(target, issuer, await freePort())
        : first
      const servers = first === second ? [first] : [first, second]
      try {
        // RFC 7523 §3: iss = sub = client_id, aud = the issuer, a unique jti, a short exp.
        const assertion = () =>
          new SignJWT({})
            .setProtectedHeader({ alg: 'EdDSA', kid: 'k1' })
            .setIssuer(clientId)
            .setSubject(clientId)
            .setAudience(issuer)
            .setJti(randomUUID())
            .setIssuedAt()
            .setExpirationTime('60s')
            .sign(privateKey)
        const post = (url: string, params: Record<string, string>) =>
          fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams(params),
          })
        const authenticated = async (signed?: string) => ({
          client_id: clientId,
          client_assertion_type: JWT_BEARER,
          client_assertion: signed ?? (await assertion()),
        })

        const signed = await assertion()
        const tokenRequest = { grant_type: 'client_credentials', resource: 'https://api.example.com' }
        const issued = await post(`${first.url}/token`, { ...tokenRequest, ...(await authenticated(signed)) })
        expect(issued.status).toBe(200)
        const { access_token: accessToken } = (await issued.json()) as { access_token: string }
        // The same assertion again, at the other instance when there is one: refused as used.
        const replayed = await post(`${second.url}/token`, {
          ...tokenRequest,
          ...(await authenticated(signed)),
        })
        expect(replayed.status).toBe(401)
        expect(await replayed.json()).toMatchObject({ error: 'invalid_client' })
        // A fresh assertion still works: only the used jti is refused.
        expect(
          (await post(`${second.url}/token`, { ...tokenRequest, ...(await authenticated()) })).status,
        ).toBe(200)

        const introspect = async (url: string) =>
          (await post(`${url}/introspect`, { token: accessToken, ...(await authenticated()) })).json()
        expect(await introspect(second.url)).toMatchObject({ active: true, client_id: clientId })
        const revoked = await post(`${first.url}/revoke`, { token: accessToken, ...(await authenticated()) })
        expect(revoked.status).toBe(200)
        for (const server of servers) expect(await introspect(server.url)).toEqual({ active: false })
      } finally {
        for (const server of servers) {
          const { code, output } = await server.stop()
          expect(code, output).toBe(0)
        }
      }
    })
  })
}
