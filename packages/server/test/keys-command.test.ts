import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { DelegationClient, importDelegationKey } from '@org/auth-core/delegation'
import { afterEach, describe, expect, it } from 'vitest'
import { runKeysCommand } from '../src/bin/keys-command.js'
import { createDelegationService } from '../src/index.js'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'org-auth-keys-'))
  dirs.push(dir)
  return dir
}

function run(args: string[]) {
  let stdout = ''
  let stderr = ''
  const code = runKeysCommand(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) })
  return { code, stdout, stderr }
}

/** Parses `NAME="value"` lines the way dotenv does for double quotes (`\n` becomes a newline). */
function parseEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {}
  for (const line of text.split('\n')) {
    const match = /^([A-Z0-9_]+)="(.*)"$/.exec(line)
    if (match) env[match[1]!] = match[2]!.replace(/\\n/g, '\n')
  }
  return env
}

describe('org-auth-keys generate', () => {
  it('prints the environment lines the seed documents, which configure a working client and service', async () => {
    const { code, stdout, stderr } = run(['generate', '--ed25519', '--x25519'])
    expect(code).toBe(0)
    expect(stderr).toBe('')
    const env = parseEnv(stdout)
    expect(Object.keys(env).sort()).toEqual(
      [
        'SP_ED25519_PRIVATE_KEY_PEM',
        'SP_X25519_PRIVATE_KEY_PEM',
        'IDP_ED25519_PUBLIC_KEY_PEM',
        'IDP_X25519_PUBLIC_KEY_PEM',
        'IDP_ED25519_PRIVATE_KEY_PEM',
        'IDP_X25519_PRIVATE_KEY_PEM',
        'SP_ED25519_PUBLIC_KEY_PEM',
        'SP_X25519_PUBLIC_KEY_PEM',
      ].sort(),
    )
    // Both sides accept the keys as printed (the client also with literal "\n", as in a shell export).
    const raw = Object.fromEntries(
      stdout.split('\n').flatMap((line) => {
        const match = /^([A-Z0-9_]+)="(.*)"$/.exec(line)
        return match ? [[match[1]!, match[2]!]] : []
      }),
    )
    await expect(
      DelegationClient.fromKeys({
        spSigningKey: raw['SP_ED25519_PRIVATE_KEY_PEM']!,
        spEncryptionKey: raw['SP_X25519_PRIVATE_KEY_PEM']!,
        idpVerifyKey: env['IDP_ED25519_PUBLIC_KEY_PEM']!,
        idpEncryptionKey: env['IDP_X25519_PUBLIC_KEY_PEM']!,
        baseUrl: 'https://idp.example.com/delegation',
        spId: 'my-app',
      }),
    ).resolves.toBeInstanceOf(DelegationClient)
    await expect(
      createDelegationService({
        baseUrl: 'https://idp.example.com/delegation',
        keys: {
          signingKey: env['IDP_ED25519_PRIVATE_KEY_PEM']!,
          encryptionKeys: env['IDP_X25519_PRIVATE_KEY_PEM']!,
        },
        registeredProviders: [
          {
            id: 'my-app',
            signingKeys: env['SP_ED25519_PUBLIC_KEY_PEM']!,
            encryptionKey: env['SP_X25519_PUBLIC_KEY_PEM']!,
          },
        ],
      }),
    ).resolves.toBeTypeOf('function')
    // The printed kid is the one the protocol computes.
    const kid = /# kid (\S+)\nSP_ED25519_PRIVATE_KEY_PEM/.exec(stdout)?.[1]
    const imported = await importDelegationKey(env['SP_ED25519_PUBLIC_KEY_PEM']!, 'verify', 'k')
    expect(kid).toBe(imported.kid)
  })

  it('writes PEM files (private ones 0600), refuses to overwrite without --force, and can do one role', () => {
    const dir = tempDir()
    const first = run(['generate', '--role', 'idp', '--x25519', '--out', dir])
    expect(first.code).toBe(0)
    const privatePem = readFileSync(join(dir, 'idp-x25519-private.pem'), 'utf8')
    expect(privatePem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/)
    expect(readFileSync(join(dir, 'idp-x25519-public.pem'), 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----\n/)
    expect(statSync(join(dir, 'idp-x25519-private.pem')).mode & 0o777).toBe(0o600)
    expect(Object.keys(parseEnv(first.stdout)).sort()).toEqual([
      'IDP_X25519_PRIVATE_KEY_PEM',
      'IDP_X25519_PUBLIC_KEY_PEM',
    ])
    const again = run(['generate', '--role', 'idp', '--x25519', '--out', dir])
    expect(again.code).toBe(1)
    expect(again.stderr).toMatch(/--force/)
    expect(readFileSync(join(dir, 'idp-x25519-private.pem'), 'utf8')).toBe(privatePem)
    expect(run(['generate', '--role', 'idp', '--x25519', '--out', dir, '--force']).code).toBe(0)
    expect(readFileSync(join(dir, 'idp-x25519-private.pem'), 'utf8')).not.toBe(privatePem)
  })

  it('prints usage for unknown commands and options, without generating anything', () => {
    for (const args of [
      [],
      ['rotate'],
      ['generate', '--rsa'],
      ['generate', '--role', 'admin'],
      ['generate', '--out'],
    ]) {
      const result = run(args)
      expect(result.code, args.join(' ')).toBe(2)
      expect(result.stdout).toBe('')
      expect(result.stderr).toMatch(/Usage: org-auth-keys generate/)
    }
    expect(run(['--help']).code).toBe(0)
  })

  it('runs as a bin', async () => {
    const dir = tempDir()
    const bin = new URL('../src/bin/keys.ts', import.meta.url).pathname
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', bin, 'generate', '--out', dir],
      {
        cwd: new URL('..', import.meta.url).pathname,
      },
    )
    expect(stdout).toMatch(/^# Service provider \(your app\)/)
    expect(stdout).toContain('IDP_ED25519_PUBLIC_KEY_PEM="-----BEGIN PUBLIC KEY-----\\n')
    expect(statSync(join(dir, 'sp-ed25519-private.pem')).isFile()).toBe(true)
  })
})
