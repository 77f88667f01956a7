import { execFile } from 'node:child_process'
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { DelegationClient, importDelegationKey } from '@org/auth-core/delegation'
import { afterEach, describe, expect, it } from 'vitest'
import { writeKeyFile } from '../src/bin/key-file.js'
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

  it('--force leaves a private key 0600 even over an existing 0644 file, and public keys 0644', () => {
    const dir = tempDir()
    const path = join(dir, 'idp-ed25519-private.pem')
    writeFileSync(path, 'old key\n', { mode: 0o644 })
    chmodSync(path, 0o644)
    writeFileSync(join(dir, 'idp-ed25519-public.pem'), 'old public\n', { mode: 0o600 })
    chmodSync(join(dir, 'idp-ed25519-public.pem'), 0o600)
    expect(run(['generate', '--role', 'idp', '--ed25519', '--out', dir, '--force']).code).toBe(0)
    expect(readFileSync(path, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/)
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(statSync(join(dir, 'idp-ed25519-public.pem')).mode & 0o777).toBe(0o644)
    // Nothing is left behind but the keys.
    expect(readdirSync(dir).sort()).toEqual(['idp-ed25519-private.pem', 'idp-ed25519-public.pem'])
  })

  it('--force replaces a symlink planted at a key path instead of writing through it', () => {
    const dir = tempDir()
    const elsewhere = tempDir()
    const victim = join(elsewhere, 'authorized_keys')
    writeFileSync(victim, 'do not touch\n', { mode: 0o644 })
    const path = join(dir, 'sp-x25519-private.pem')
    symlinkSync(victim, path)
    expect(run(['generate', '--role', 'sp', '--x25519', '--out', dir, '--force']).code).toBe(0)
    expect(readFileSync(victim, 'utf8')).toBe('do not touch\n')
    expect(statSync(victim).mode & 0o777).toBe(0o644)
    expect(lstatSync(path).isSymbolicLink()).toBe(false)
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(readFileSync(path, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/)
  })

  it('refuses a dangling symlink at a key path without --force, creating nothing where it points', () => {
    const dir = tempDir()
    const target = join(tempDir(), 'planted.pem')
    symlinkSync(target, join(dir, 'sp-ed25519-private.pem'))
    const result = run(['generate', '--role', 'sp', '--ed25519', '--out', dir])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/--force/)
    expect(() => lstatSync(target)).toThrow(/ENOENT/)
    expect(readdirSync(dir)).toEqual(['sp-ed25519-private.pem'])
  })

  it('fails cleanly when a key path is a directory, leaving no temporary file', () => {
    const dir = tempDir()
    mkdirSync(join(dir, 'sp-ed25519-private.pem', 'inside'), { recursive: true })
    const result = run(['generate', '--role', 'sp', '--ed25519', '--out', dir, '--force'])
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    expect(readdirSync(dir)).toEqual(['sp-ed25519-private.pem'])
  })

  it('creates files (the temporary one included) only where nothing is, never following a symlink', () => {
    const dir = tempDir()
    const target = join(tempDir(), 'planted')
    const link = join(dir, 'link')
    symlinkSync(target, link)
    expect(() => writeKeyFile(link, 'secret', 0o600, false)).toThrow(
      expect.objectContaining({ code: 'EEXIST' }),
    )
    expect(() => lstatSync(target)).toThrow(/ENOENT/)
    writeKeyFile(link, 'secret', 0o600, true)
    expect(lstatSync(link).isFile()).toBe(true)
    expect(() => lstatSync(target)).toThrow(/ENOENT/)
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
