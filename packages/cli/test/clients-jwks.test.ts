/**
 * `clients add|update --auth-method … --jwks <file>`: a private_key_jwt client registered from a
 * JWK Set file (or stdin), shown by its key ids only; it has no secret to print or rotate, and
 * unreadable files, non-JSON and keys the registry refuses are usage errors (exit 2).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { exportJWK, generateKeyPair } from 'jose'
import { afterAll, describe, expect, it } from 'vitest'
import { run } from '../src/index.js'
import { backends, cli, json, type Target } from './helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'org-auth-cli-jwks-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let files = 0

/** A public Ed25519 JWK with `kid`, and its private half as a JWK (for the refusal test). */
async function keyPair(kid: string) {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
  return {
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' },
    privateJwk: { ...(await exportJWK(privateKey)), kid },
  }
}

function file(content: string): string {
  const path = join(dir, `jwks${++files}.json`)
  writeFileSync(path, content)
  return path
}

const jwksFile = (...keys: object[]) => file(JSON.stringify({ keys }, null, 2))

function addArgs(target: Target, ...extra: string[]) {
  return [
    'clients',
    'add',
    '--name',
    'Signer',
    '--type',
    'confidential',
    '--grant',
    'client_credentials',
    ...extra,
    ...target.args,
  ]
}

interface ClientJson {
  clientId: string
  tokenEndpointAuthMethod: string
  jwks: { kid?: string; kty: string; alg?: string }[] | null
}

for (const backend of backends()) {
  describe(`private_key_jwt clients on ${backend.name}`, () => {
    it('add from a JWKS file: no secret; show and list give the method and key ids only', async () => {
      const target = await backend.fresh()
      const { publicJwk } = await keyPair('k1')
      const path = jwksFile(publicJwk)
      const text = await cli(addArgs(target, '--auth-method', 'private_key_jwt', '--jwks', path), target.env)
      expect(text.code, text.stderr).toBe(0)
      expect(text.stdout).toMatch(/^auth_method\s+private_key_jwt$/m)
      expect(text.stdout).toMatch(/^jwks\s+k1 \(OKP EdDSA\)$/m)
      expect(text.stdout).toContain('authenticates with private_key_jwt: no secret')
      expect(text.stdout).not.toMatch(/public client|client_secret\s|oas_/)
      const clientId = text.stdout.match(/^client_id\s+(oac_\S+)$/m)?.[1] as string

      const added = await cli(
        addArgs(target, '--auth-method', 'private_key_jwt', '--jwks', path, '--json'),
        target.env,
      )
      expect(json(added)).toMatchObject({
        clientSecret: null,
        client: {
          tokenEndpointAuthMethod: 'private_key_jwt',
          jwks: [{ kid: 'k1', kty: 'OKP', alg: 'EdDSA' }],
        },
      })
      const outputs = []
      for (const argv of [
        ['clients', 'show', clientId, '--json'],
        ['clients', 'show', clientId],
        ['clients', 'list', '--json'],
        ['clients', 'list'],
      ]) {
        outputs.push(await cli([...argv, ...target.args], target.env))
      }
      const shown = json<{ client: ClientJson }>(outputs[0] as never).client
      expect(shown.jwks).toEqual([{ kid: 'k1', kty: 'OKP', alg: 'EdDSA' }])
      const listed = json<{ clients: ClientJson[] }>(outputs[2] as never).clients
      expect(listed.map((c) => c.jwks)).toEqual([shown.jwks, shown.jwks])
      expect(outputs[3]?.stdout).toMatch(
        new RegExp(`^${clientId}  enabled   confidential  private_key_jwt `, 'm'),
      )
      // The key material (x) and the `use` member are never printed.
      for (const output of [added, ...outputs]) {
        expect(output.code).toBe(0)
        expect(output.stdout).not.toContain(publicJwk.x as string)
        expect(output.stdout).not.toMatch(/"x"|"use"/)
      }
    })

    it('update --jwks replaces the keys; rotate-secret and a method change are refused (exit 2)', async () => {
      const target = await backend.fresh()
      const [a, b, c] = await Promise.all([keyPair('a'), keyPair('b'), keyPair('c')])
      const added = await cli(
        addArgs(target, '--auth-method', 'private_key_jwt', '--jwks', jwksFile(a.publicJwk), '--json'),
        target.env,
      )
      const { clientId } = json<{ client: ClientJson }>(added).client
      const updated = await cli(
        [
          'clients',
          'update',
          clientId,
          '--jwks',
          jwksFile(b.publicJwk, c.publicJwk),
          '--json',
          ...target.args,
        ],
        target.env,
      )
      expect(updated.code, updated.stderr).toBe(0)
      expect(json<{ client: ClientJson }>(updated).client.jwks?.map((key) => key.kid)).toEqual(['b', 'c'])

      const rotate = await cli(['clients', 'rotate-secret', clientId, ...target.args], target.env)
      expect(rotate).toMatchObject({ code: 2, stdout: '' })
      expect(rotate.stderr).toMatch(/private_key_jwt client has no secret.*\[ERR_CLIENT_AUTH_METHOD\]\n$/)
      const method = await cli(
        ['clients', 'update', clientId, '--auth-method', 'client_secret_basic', ...target.args],
        target.env,
      )
      expect(method.code).toBe(2)
      expect(method.stderr).toMatch(/\[ERR_CLIENT_AUTH_METHOD\]/)
      // Nothing changed by the refusals.
      const shown = await cli(['clients', 'show', clientId, '--json', ...target.args], target.env)
      expect(json<{ client: ClientJson }>(shown).client).toMatchObject({
        tokenEndpointAuthMethod: 'private_key_jwt',
        jwks: [{ kid: 'b' }, { kid: 'c' }],
      })
    })

    it('a secret client switches between basic and post with --auth-method', async () => {
      const target = await backend.fresh()
      const added = await cli(addArgs(target, '--auth-method', 'client_secret_post', '--json'), target.env)
      expect(json(added)).toMatchObject({ client: { tokenEndpointAuthMethod: 'client_secret_post' } })
      const { clientId } = json<{ client: ClientJson }>(added).client
      const updated = await cli(
        ['clients', 'update', clientId, '--auth-method', 'client_secret_basic', '--json', ...target.args],
        target.env,
      )
      expect(json(updated)).toMatchObject({
        client: { tokenEndpointAuthMethod: 'client_secret_basic', jwks: null },
      })
    })
  })
}

describe('--jwks input', () => {
  const [backend] = backends()

  it('reads the JWK Set from stdin with -', async () => {
    const target = await (backend as NonNullable<typeof backend>).fresh()
    const { publicJwk } = await keyPair('from-stdin')
    let stdout = ''
    const code = await run(addArgs(target, '--auth-method', 'private_key_jwt', '--jwks', '-', '--json'), {
      stdout: (text) => {
        stdout += text
      },
      stderr: () => {},
      env: target.env,
      stdin: Readable.from([JSON.stringify({ keys: [publicJwk] })]),
    })
    expect(code).toBe(0)
    expect(JSON.parse(stdout)).toMatchObject({ client: { jwks: [{ kid: 'from-stdin' }] } })
  })

  it('refuses a missing file, non-JSON and keys the registry refuses with exit 2 and nothing added', async () => {
    const target = await (backend as NonNullable<typeof backend>).fresh()
    const { privateJwk, publicJwk } = await keyPair('p')
    const cases: [string, RegExp][] = [
      [
        join(dir, 'missing.json'),
        /^org-auth: Cannot read --jwks .*missing\.json \(ENOENT\) \[ERR_JWKS_FILE\]\n$/,
      ],
      [dir, /Cannot read --jwks .* \(EISDIR\) \[ERR_JWKS_FILE\]/],
      [file('{"keys": ['), /is not JSON .*\[ERR_JWKS_FILE\]/],
      [file(' '.repeat(70_000)), /larger than 65536 bytes.*\[ERR_JWKS_FILE\]/],
      [jwksFile(privateJwk), /public keys only.*\[ERR_CLIENT_JWKS\]/],
      [file(JSON.stringify([publicJwk])), /must be a JWK Set.*\[ERR_CLIENT_JWKS\]/],
    ]
    for (const [path, message] of cases) {
      const result = await cli(
        addArgs(target, '--auth-method', 'private_key_jwt', '--jwks', path),
        target.env,
      )
      expect(result, path).toMatchObject({ code: 2, stdout: '' })
      expect(result.stderr).toMatch(message)
      // Neither the file's content nor a private member is echoed.
      expect(result.stderr).not.toContain(privateJwk.d as string)
    }
    // private_key_jwt needs keys; keys need private_key_jwt.
    const noKeys = await cli(addArgs(target, '--auth-method', 'private_key_jwt'), target.env)
    expect(noKeys.code).toBe(2)
    expect(noKeys.stderr).toMatch(/\[ERR_CLIENT_JWKS\]/)
    const noMethod = await cli(addArgs(target, '--jwks', jwksFile(publicJwk)), target.env)
    expect(noMethod.code).toBe(2)
    expect(noMethod.stderr).toMatch(/\[ERR_CLIENT_JWKS\]/)
    const unknown = await cli(addArgs(target, '--auth-method', 'tls_client_auth'), target.env)
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/tls_client_auth.*\[ERR_USAGE\]/)
    const listed = await cli(['clients', 'list', '--json', ...target.args], target.env)
    expect(json(listed)).toEqual({ clients: [] })
  })
})
