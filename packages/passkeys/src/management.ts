/**
 * Credential management (Hanko parity): get, list with paging and totals, rename, delete. With
 * `userId`, each operation is scoped to that user's credentials, and another user's credential
 * reads as unknown (its existence is not revealed): what a signed-in user's routes pass.
 */
import { type Context, log } from './context.js'
import type { PasskeyCredential } from './credential-store.js'
import { PasskeyError } from './errors.js'

/** A credential as management returns it: the stored record without its public key. */
export type PasskeyCredentialInfo = Omit<PasskeyCredential, 'publicKey'>

export interface CredentialScope {
  /** Only this user's credentials; another user's reads as unknown. Default: any user's (administration). */
  userId?: string
}

export interface ListCredentialsQuery {
  userId: string
  /** 1 to 100. Default: 20. */
  pageSize?: number
  /** 1-based. Default: 1. */
  page?: number
}

export interface CredentialList {
  credentials: PasskeyCredentialInfo[]
  /** The user's credentials in all pages. */
  total: number
  page: number
  pageSize: number
}

export interface PasskeyManagement {
  getCredential(credentialId: string, scope?: CredentialScope): Promise<PasskeyCredentialInfo>
  listCredentials(query: ListCredentialsQuery): Promise<CredentialList>
  /** Sets the label (1 to 64 characters, no control characters). */
  renameCredential(
    credentialId: string,
    name: string,
    scope?: CredentialScope,
  ): Promise<PasskeyCredentialInfo>
  /** Removes the credential; tell the browser too (`PublicKeyCredential.signalUnknownCredential`). */
  deleteCredential(credentialId: string, scope?: CredentialScope): Promise<void>
}

export function publicView(credential: PasskeyCredential): PasskeyCredentialInfo {
  const { publicKey: _publicKey, ...info } = credential
  return { ...info, transports: [...info.transports] }
}

const NAME = /^[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]{1,64}$/u

function unknown(): PasskeyError {
  return new PasskeyError('ERR_PASSKEY_UNKNOWN_CREDENTIAL', 'No such passkey', 404)
}

function page(value: number | undefined, fallback: number, max: number, name: string): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < 1 || value > max)
    throw new TypeError(`"${name}" must be an integer from 1 to ${max}`)
  return value
}

export function createManagement(context: Context): PasskeyManagement {
  async function owned(credentialId: string, scope: CredentialScope | undefined): Promise<PasskeyCredential> {
    if (typeof credentialId !== 'string' || credentialId.length === 0 || credentialId.length > 1364)
      throw unknown()
    const credential = await context.credentials.get(credentialId)
    if (credential === undefined) throw unknown()
    if (scope?.userId !== undefined && credential.userId !== scope.userId) throw unknown()
    return credential
  }

  return {
    async getCredential(credentialId, scope) {
      return publicView(await owned(credentialId, scope))
    },

    async listCredentials(query) {
      if (typeof query?.userId !== 'string') throw new TypeError('"userId" is required')
      const pageSize = page(query.pageSize, 20, 100, 'pageSize')
      const number = page(query.page, 1, 1_000_000, 'page')
      const result = await context.credentials.list(query.userId, (number - 1) * pageSize, pageSize)
      return { credentials: result.credentials.map(publicView), total: result.total, page: number, pageSize }
    },

    async renameCredential(credentialId, name, scope) {
      if (typeof name !== 'string' || !NAME.test(name.trim())) {
        throw new PasskeyError(
          'ERR_PASSKEY_INVALID_TEXT',
          'A passkey name is 1 to 64 characters without control characters',
        )
      }
      const credential = await owned(credentialId, scope)
      if (!(await context.credentials.rename(credential.id, name.trim()))) throw unknown()
      return publicView({ ...credential, name: name.trim() })
    },

    async deleteCredential(credentialId, scope) {
      const credential = await owned(credentialId, scope)
      if (!(await context.credentials.delete(credential.id))) throw unknown()
      log(context, 'info', 'passkey deleted', { userId: credential.userId, credentialId: credential.id })
    },
  }
}
