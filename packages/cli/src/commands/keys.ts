/**
 * `org-auth keys …`: the token server's signing key ring (`createKeyRing` of `@org/auth-server`)
 * over `PostgresKeyStore`. Private keys are sealed under the key-encryption key from
 * `ORG_AUTH_KEK` before they reach the database; nothing here prints private material.
 */
import { PostgresKeyStore } from '@org/auth-postgres'
import { createKeyRing, type KeyInfo, type KeyRing, type SigningAlgorithm } from '@org/auth-server'
import type { CommonOptions, Context } from '../context.js'
import { CliError } from '../errors.js'
import { keyLine } from '../format.js'

export const KEK_VARIABLE = 'ORG_AUTH_KEK'

export interface KeyRingFlags {
  publishBefore: number
  tokenTtl: number
}

/** The KEK from the environment; its format is checked by the key ring (`ERR_KEK_INVALID`). */
export function kekFrom(context: Context): string {
  const kek = context.env[KEK_VARIABLE]
  if (kek === undefined || kek.trim() === '') {
    throw new CliError(
      'ERR_KEK_MISSING',
      `${KEK_VARIABLE} is not set: it must hold the key-encryption key, 32 random bytes as base64 (openssl rand -base64 32)`,
    )
  }
  return kek
}

export async function keyRing(
  context: Context,
  options: CommonOptions & Partial<KeyRingFlags>,
  poolSize?: number,
): Promise<KeyRing> {
  // Read first: a missing KEK is reported before the database is opened.
  const kek = kekFrom(context)
  const ringOptions = {
    ...(options.publishBefore === undefined ? {} : { publishBefore: options.publishBefore }),
    ...(options.tokenTtl === undefined ? {} : { tokenTtl: options.tokenTtl }),
  }
  const { db } = await context.database(options, poolSize === undefined ? {} : { poolSize })
  return createKeyRing({ store: new PostgresKeyStore(db, { schema: options.schema }), kek, ...ringOptions })
}

function printKey(context: Context, options: CommonOptions, key: KeyInfo): void {
  context.print(options, { key }, () => keyLine(key))
}

export async function generateKey(
  context: Context,
  options: CommonOptions & KeyRingFlags & { alg: SigningAlgorithm },
): Promise<void> {
  printKey(context, options, await (await keyRing(context, options)).generate(options.alg))
}

export async function rotateKey(
  context: Context,
  options: CommonOptions & KeyRingFlags & { alg?: SigningAlgorithm },
): Promise<void> {
  printKey(context, options, await (await keyRing(context, options)).rotate(options.alg))
}

export async function listKeys(context: Context, options: CommonOptions): Promise<void> {
  const keys = await (await keyRing(context, options)).list()
  context.print(options, { keys }, () =>
    keys.length === 0 ? 'No signing keys.' : keys.map(keyLine).join('\n'),
  )
}

export async function retireKey(
  context: Context,
  kid: string,
  options: CommonOptions & KeyRingFlags & { unpublish?: boolean },
): Promise<void> {
  const key = await (await keyRing(context, options)).retire(kid, { unpublish: options.unpublish === true })
  printKey(context, options, key)
}
