/**
 * `org-auth delegation-keys …`: the `org-auth-keys` command of `@org/auth-server` (delegation key
 * pairs), run as it ships, in a child process, so its options, output and file handling are that
 * package's and never drift from it. Arguments pass through untouched.
 */
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { Context } from '../context.js'
import { CliError, EXIT } from '../errors.js'

/** The path of `@org/auth-server`'s `org-auth-keys` bin, as installed beside this package. */
function keysBin(): string {
  const require = createRequire(import.meta.url)
  const manifestPath = require.resolve('@org/auth-server/package.json')
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { bin?: Record<string, string> }
  const bin = manifest.bin?.['org-auth-keys']
  if (bin === undefined) {
    throw new CliError('ERR_DELEGATION_KEYS', '@org/auth-server ships no org-auth-keys command', EXIT.failure)
  }
  return join(dirname(manifestPath), bin)
}

/** Runs `org-auth-keys <args>`; its stdout and stderr go to the io's, its exit code is returned. */
export function delegationKeys(context: Context, args: readonly string[]): Promise<number> {
  const bin = keysBin()
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...context.env },
    })
    child.stdout.setEncoding('utf8').on('data', (text: string) => context.io.stdout(text))
    child.stderr.setEncoding('utf8').on('data', (text: string) => context.io.stderr(text))
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new CliError(
          'ERR_DELEGATION_KEYS',
          `Cannot run org-auth-keys (${error.code ?? 'error'})`,
          EXIT.failure,
        ),
      ),
    )
    child.once('close', (code) => resolve(code ?? EXIT.failure))
  })
}
