/**
 * Server-provided DPoP nonces (RFC 9449 §8, §9): a resource server that wants proofs it can date
 * by its own clock hands out a nonce (`DPoP-Nonce`) and refuses proofs without a current one
 * (401 `use_dpop_nonce`).
 */
import { base64url } from 'jose'
import { ConfigurationError } from '../errors.js'

/** Where nonces come from and how a proof's nonce is judged. Implement it to share nonces otherwise. */
export interface DpopNonceSource {
  /** The nonce clients should put in their next proofs. */
  current(): string | Promise<string>
  /** Whether a proof's `nonce` is accepted now. */
  check(nonce: string): boolean | Promise<boolean>
}

export interface DpopNonceSourceOptions {
  /**
   * Key of the nonces' MAC, at least 32 bytes: give every instance the same one so that a nonce
   * issued by one is accepted by all. Default: random per process (one instance only).
   */
  secret?: Uint8Array | string
  /** How long a nonce is current, in seconds (10–3600); the previous one is still accepted for as long. Default: 300. */
  lifetimeSeconds?: number
  /** Clock in epoch milliseconds, for tests. Default: `Date.now`. */
  now?: () => number
}

const encoder = new TextEncoder()

/**
 * Stateless rotating nonces: `<period>.<MAC(period)>`, where a period is `lifetimeSeconds` long.
 * A nonce of the current or the previous period passes, so a client always has between one and
 * two periods to use the one it was given; nothing is stored.
 */
export function createDpopNonceSource(options: DpopNonceSourceOptions = {}): DpopNonceSource {
  const lifetime = options.lifetimeSeconds ?? 300
  if (!Number.isInteger(lifetime) || lifetime < 10 || lifetime > 3600) {
    throw new ConfigurationError('"lifetimeSeconds" must be a whole number of seconds from 10 to 3600')
  }
  const secret =
    typeof options.secret === 'string' ? encoder.encode(options.secret) : (options.secret ?? randomSecret())
  if (!(secret instanceof Uint8Array) || secret.byteLength < 32) {
    throw new ConfigurationError('"secret" must be at least 32 bytes')
  }
  const now = options.now ?? Date.now
  const key = crypto.subtle.importKey(
    'raw',
    secret as Uint8Array<ArrayBuffer>,
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  )
  const macs = new Map<number, Promise<string>>()

  function macOf(period: number): Promise<string> {
    let mac = macs.get(period)
    if (mac === undefined) {
      mac = key
        .then((k) => crypto.subtle.sign('HMAC', k, encoder.encode(`org-auth:dpop-nonce:${period}`)))
        .then((signature) => base64url.encode(new Uint8Array(signature).subarray(0, 18)))
      // Only the two periods that can pass are kept.
      for (const held of macs.keys()) if (held < period - 1) macs.delete(held)
      macs.set(period, mac)
    }
    return mac
  }

  const periodNow = () => Math.floor(now() / 1000 / lifetime)

  return {
    async current() {
      const period = periodNow()
      return `${period.toString(36)}.${await macOf(period)}`
    },
    async check(nonce) {
      const match = /^([0-9a-z]{1,11})\.([A-Za-z0-9_-]{24})$/.exec(nonce)
      if (match === null) return false
      const period = Number.parseInt(match[1] as string, 36)
      const current = periodNow()
      if (period !== current && period !== current - 1) return false
      return constantTimeEqual(await macOf(period), match[2] as string)
    },
  }
}

function randomSecret(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(32))
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false
  let difference = 0
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return difference === 0
}
