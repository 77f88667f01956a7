/** Checks the service's options once, at creation, and imports every key. */
import { ConfigurationError } from '@org/auth-core'
import {
  type DelegationKey,
  delegationBaseUrl,
  importDelegationKey,
  importDelegationKeys,
} from '@org/auth-core/delegation'
import type { TotpAlgorithm } from '../totp.js'
import type { OperationContext } from './operations.js'
import type { DelegationEvent, DelegationServiceOptions } from './options.js'
import { createMemoryReplayStore, type ReplayStore } from './replay.js'
import { createMemoryDelegationStore } from './store.js'

/** A registered provider with its keys imported. */
export interface Provider {
  id: string
  signingKeys: DelegationKey[]
  encryptionKey: DelegationKey
}

export interface ResolvedService {
  baseUrl: string
  signingKey: DelegationKey
  decryptionKeys: DelegationKey[]
  /** Every registered signing key by `kid` (RFC 7638 thumbprints: unique by construction). */
  providersByKid: Map<string, Provider>
  replayStore: ReplayStore
  leeway: number
  maxRequestLifetime: number
  /** Now, in seconds. */
  seconds(): number
  emit(event: DelegationEvent): void
  operationContext(spId: string): OperationContext
}

const MAX_ISSUER = 100
const LOOPBACK = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])$/

function integer(
  value: number | undefined,
  fallback: number,
  option: string,
  [min, max]: [number, number],
): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigurationError(`"${option}" must be an integer from ${min} to ${max}`)
  }
  return value
}

function baseUrlOf(value: unknown): string {
  let url: URL
  try {
    url = new URL(String(value))
  } catch (cause) {
    throw new ConfigurationError('"baseUrl" is not a valid URL', { cause })
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.test(url.hostname))) {
    throw new ConfigurationError('"baseUrl" must be an https URL (http is allowed on loopback)')
  }
  return delegationBaseUrl(url)
}

/**
 * The issuer authenticator apps show when none is configured: the host name of `baseUrl`, made to
 * pass the issuer check. Not `host`: its `:port` would put a colon in the label, which the Key Uri
 * Format forbids (and which made every `baseUrl` with a port refuse to start). An IPv6 literal's
 * colons become dashes, and a very long name is cut to the issuer limit.
 */
function defaultIssuer(baseUrl: string): string {
  return new URL(baseUrl).hostname.replace(/:/g, '-').slice(0, MAX_ISSUER)
}

function totpOf(options: DelegationServiceOptions, baseUrl: string): OperationContext['totp'] {
  if (options.totp === false) return undefined
  const totp = options.totp ?? {}
  const algorithm: TotpAlgorithm = totp.algorithm ?? 'SHA1'
  if (!['SHA1', 'SHA256', 'SHA512'].includes(algorithm)) {
    throw new ConfigurationError('"totp.algorithm" must be SHA1, SHA256 or SHA512')
  }
  const issuer = totp.issuer ?? defaultIssuer(baseUrl)
  if (
    typeof issuer !== 'string' ||
    issuer.length === 0 ||
    issuer.length > MAX_ISSUER ||
    issuer.includes(':')
  ) {
    throw new ConfigurationError(`"totp.issuer" must be 1 to ${MAX_ISSUER} characters without ":"`)
  }
  return {
    issuer,
    algorithm,
    period: integer(totp.period, 30, 'totp.period', [15, 120]),
    window: integer(totp.window, 1, 'totp.window', [0, 5]),
  }
}

async function providersOf(options: DelegationServiceOptions): Promise<Map<string, Provider>> {
  const list = options.registeredProviders
  if (!Array.isArray(list) || list.length === 0) {
    throw new ConfigurationError('"registeredProviders" must list at least one service provider')
  }
  const byKid = new Map<string, Provider>()
  const ids = new Set<string>()
  for (const [index, entry] of list.entries()) {
    const option = `registeredProviders[${index}]`
    if (
      typeof entry?.id !== 'string' ||
      entry.id.length === 0 ||
      entry.id.length > 256 ||
      ids.has(entry.id)
    ) {
      throw new ConfigurationError(
        `"${option}.id" must be a unique, non-empty string of at most 256 characters`,
      )
    }
    ids.add(entry.id)
    const provider: Provider = {
      id: entry.id,
      signingKeys: await importDelegationKeys(entry.signingKeys, 'verify', `${option}.signingKeys`),
      encryptionKey: await importDelegationKey(entry.encryptionKey, 'encrypt', `${option}.encryptionKey`),
    }
    for (const key of provider.signingKeys) {
      if (byKid.has(key.kid)) throw new ConfigurationError(`"${option}.signingKeys" repeats a registered key`)
      byKid.set(key.kid, provider)
    }
  }
  return byKid
}

export async function resolveServiceOptions(options: DelegationServiceOptions): Promise<ResolvedService> {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigurationError('createDelegationService() needs an options object')
  }
  const baseUrl = baseUrlOf(options.baseUrl)
  if (typeof options.keys !== 'object' || options.keys === null) {
    throw new ConfigurationError('"keys" must be { signingKey, encryptionKeys }')
  }
  const now = options.now ?? Date.now
  const seconds = () => Math.floor(now() / 1000)
  const { onEvent } = options
  const emit = (event: DelegationEvent) => {
    try {
      onEvent?.(event)
    } catch {
      // A failing logger must not change what the caller is answered.
    }
  }
  const totp = totpOf(options, baseUrl)
  const sessionTtl = integer(options.sessionTtl, 600, 'sessionTtl', [30, 86_400])
  const maxAttempts = integer(options.maxAttempts, 5, 'maxAttempts', [1, 20])
  const senders = options.senders ?? {}
  for (const method of ['email', 'sms'] as const) {
    if (senders[method] !== undefined && typeof senders[method] !== 'function') {
      throw new ConfigurationError(`"senders.${method}" must be a function`)
    }
  }
  const store = options.store ?? createMemoryDelegationStore()
  const [signingKey, decryptionKeys, providersByKid] = await Promise.all([
    importDelegationKey(options.keys.signingKey, 'sign', 'keys.signingKey'),
    importDelegationKeys(options.keys.encryptionKeys, 'decrypt', 'keys.encryptionKeys'),
    providersOf(options),
  ])
  return {
    baseUrl,
    signingKey,
    decryptionKeys,
    providersByKid,
    replayStore: options.replayStore ?? createMemoryReplayStore({ now }),
    leeway: integer(options.leeway, 30, 'leeway', [0, 600]),
    maxRequestLifetime: integer(options.maxRequestLifetime, 300, 'maxRequestLifetime', [1, 3600]),
    seconds,
    emit,
    operationContext: (spId) => ({
      spId,
      store,
      senders,
      totp,
      sessionTtl,
      maxAttempts,
      now: seconds(),
      emit,
    }),
  }
}
