/**
 * The soak's bearer tokens: real client-credentials tokens minted at the dev IdP all along the
 * run (as the README's curl example does), so the demos' verified-token caches fill up and
 * churn; tokens for another audience; tokens that expired at the IdP's own clock (harvested once
 * `exp` + the verifier's leeway has passed); tampered copies; and garbage headers.
 */
import { randomBytes } from 'node:crypto'
import { DEV_CLIENT } from '@org/dev-idp'
import { LEEWAY } from './soak-config.js'
import { send } from './soak-http.js'

const OTHER_AUDIENCE = 'https://other-api.soak.test'
const WRONG_AUDIENCE_POOL = 64
const EXPIRED_POOL = 512
/** A valid token is handed out only while it has this many seconds left. */
const MARGIN_SECONDS = 3

interface Minted {
  token: string
  /** Epoch seconds. */
  exp: number
}

export interface IdpInfo {
  issuer: string
  tokenEndpoint: string
  resource: string
}

function expOf(token: string): number {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'))
  return Number(payload.exp)
}

const pick = <T>(items: readonly T[]): T | undefined => items[Math.floor(Math.random() * items.length)]

export class TokenSupply {
  readonly #idp: IdpInfo
  readonly #poolSize: number
  readonly #valid: Minted[] = []
  readonly #wrongAudience: string[] = []
  readonly #aging: Minted[] = []
  readonly #expired: string[] = []
  #timer: NodeJS.Timeout | undefined
  #minted = 0
  /** Mint failures (the IdP's answer), counted: they are the IdP's problem, not a demo's. */
  failures = 0

  constructor(idp: IdpInfo, poolSize: number) {
    this.#idp = idp
    this.#poolSize = poolSize
  }

  get minted(): number {
    return this.#minted
  }

  async #mint(resource: string): Promise<Minted | undefined> {
    const basic = Buffer.from(`${DEV_CLIENT.clientId}:${DEV_CLIENT.clientSecret}`).toString('base64')
    const response = await send(new URL(this.#idp.tokenEndpoint), {
      headers: { authorization: `Basic ${basic}` },
      form: { grant_type: 'client_credentials', scope: 'read write', resource },
    })
    if (response.status !== 200) {
      this.failures += 1
      return undefined
    }
    const token = String(JSON.parse(response.body).access_token)
    this.#minted += 1
    return { token, exp: expOf(token) }
  }

  async mintOnce(): Promise<void> {
    const minted = await this.#mint(this.#idp.resource)
    if (minted !== undefined) this.#valid.push(minted)
    if (this.#minted % 10 === 0 || this.#wrongAudience.length === 0) {
      const other = await this.#mint(OTHER_AUDIENCE)
      if (other !== undefined) {
        this.#wrongAudience.push(other.token)
        if (this.#wrongAudience.length > WRONG_AUDIENCE_POOL) this.#wrongAudience.shift()
      }
    }
    this.#harvest()
  }

  /**
   * Keeps the newest `poolSize` valid tokens; older ones wait in `#aging`
   * until `exp` + leeway has passed, then join the expired pool.
   */
  #harvest(): void {
    // Not bounded by count: a token leaves after its lifetime, so this holds at most ttl × rate.
    while (this.#valid.length > this.#poolSize) this.#aging.push(this.#valid.shift() as Minted)
    const now = Date.now() / 1000
    for (const queue of [this.#aging, this.#valid]) {
      while (queue.length > 0 && (queue[0] as Minted).exp + LEEWAY + 1 < now) {
        this.#expired.push((queue.shift() as Minted).token)
        if (this.#expired.length > EXPIRED_POOL) this.#expired.shift()
      }
    }
  }

  /** Mints `rate` valid tokens a second (and a wrong-audience one every ten) until `stop()`. */
  start(rate: number): void {
    let busy = false
    this.#timer = setInterval(() => {
      if (busy) return // the IdP is slower than the rate: skip a beat rather than pile up
      busy = true
      this.mintOnce().finally(() => {
        busy = false
      })
    }, 1000 / rate)
  }

  stop(): void {
    clearInterval(this.#timer)
  }

  get expiredCount(): number {
    return this.#expired.length
  }

  valid(): string | undefined {
    const now = Date.now() / 1000
    for (let attempt = 0; attempt < 8; attempt += 1) {
      const candidate = pick(this.#valid)
      if (candidate !== undefined && candidate.exp - now > MARGIN_SECONDS) return candidate.token
    }
    return this.#valid.at(-1)?.token
  }

  wrongAudience(): string | undefined {
    return pick(this.#wrongAudience)
  }

  expired(): string | undefined {
    return pick(this.#expired)
  }

  /** A valid token whose payload claims more (scope admin, another sub): the signature no longer matches. */
  tampered(): string | undefined {
    const token = this.valid()
    if (token === undefined) return undefined
    const [header, payload, signature] = token.split('.')
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8'))
    claims.scope = 'read write admin'
    claims.sub = 'mallory'
    return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`
  }
}

export interface GarbageCase {
  /** The whole Authorization header. */
  header: string
  /** 401 for a token-shaped value that fails verification; 400 (invalid_request) for a malformed header. */
  expect: 400 | 401
}

const b64 = (bytes: number) => randomBytes(bytes).toString('base64url')
const json64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

/** One garbage Authorization header per call, cycling through the kinds (random bytes each time). */
export function garbageCases(issuer: string): () => GarbageCase {
  const kinds: Array<() => GarbageCase> = [
    () => ({ header: `Bearer ${b64(32)}`, expect: 401 }),
    () => ({ header: `Bearer ${b64(12)}.${b64(40)}.${b64(64)}`, expect: 401 }),
    // alg "none": never accepted.
    () => ({
      header: `Bearer ${json64({ alg: 'none', typ: 'at+jwt' })}.${json64({ iss: issuer, sub: 'mallory', exp: 4102444800 })}.`,
      expect: 401,
    }),
    // HS256 with a made-up secret: HMAC is never accepted.
    () => ({
      header: `Bearer ${json64({ alg: 'HS256', typ: 'at+jwt' })}.${json64({ iss: issuer, sub: 'mallory' })}.${b64(32)}`,
      expect: 401,
    }),
    // Longer than the verifier's maxTokenLength (8192).
    () => ({ header: `Bearer ${'a'.repeat(9000)}`, expect: 401 }),
    () => ({ header: `Basic ${Buffer.from('dev-client:dev-secret').toString('base64')}`, expect: 400 }),
    () => ({ header: `Bearer two ${b64(16)}`, expect: 400 }),
  ]
  let next = 0
  return () => {
    const kind = kinds[next % kinds.length] as () => GarbageCase
    next += 1
    return kind()
  }
}
