/** The key ring: publication before signing, retirement windows, encryption at rest, rotation under load. */
import { randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createTokenVerifier } from '@org/auth-core'
import { fakeClock } from '@org/test-kit/store-contracts'
import { calculateJwkThumbprint, SignJWT } from 'jose'
import { afterEach, describe, expect, it } from 'vitest'
import {
  createKeyRing,
  createMemoryKeyStore,
  type KeyRecord,
  type KeyRingOptions,
  type KeyStore,
  SIGNING_ALGORITHMS,
  type SigningKeySource,
} from '../src/index.js'

const KEK = randomBytes(32)
const ISSUER = 'https://auth.example.com'
const AUDIENCE = 'https://api.example.com/'
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']
const HOUR = 3600_000

function setup(options: Partial<KeyRingOptions> = {}) {
  const clock = fakeClock(1_800_000_000_000)
  const store = options.store ?? createMemoryKeyStore()
  const ring = createKeyRing({ store, kek: KEK, now: clock.now, tokenTtl: 600, ...options })
  return { clock, store, ring }
}

async function kids(source: SigningKeySource): Promise<string[]> {
  return (await source.publicJwks()).keys.map((key) => key.kid as string)
}

async function issue(source: SigningKeySource, lifetime = 60): Promise<string> {
  const { kid, alg, privateKey } = await source.signingKey()
  return new SignJWT({ scope: 'invoices:read', client_id: 'oac_test' })
    .setProtectedHeader({ alg, kid, typ: 'at+jwt' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject('oac_test')
    .setJti(randomBytes(12).toString('base64url'))
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + lifetime)
    .sign(privateKey)
}

describe('rotation', () => {
  it('publishes a new key before it signs, then retires the old one for the token lifetime', async () => {
    const { clock, ring } = setup()
    await expect(ring.signingKey()).rejects.toMatchObject({ code: 'ERR_KEY_NONE_ACTIVE', status: 503 })
    // The first key has nobody to be published before: it signs at once.
    const first = await ring.generate('ES256')
    expect(first).toMatchObject({ state: 'active', signing: true, activatesAt: clock.now() })
    expect((await ring.signingKey()).kid).toBe(first.kid)

    const second = await ring.rotate()
    expect(second).toMatchObject({ alg: 'ES256', state: 'pending', signing: false })
    expect(second.activatesAt).toBe(clock.now() + HOUR)
    expect(await kids(ring)).toEqual([first.kid, second.kid])
    await clock.advance(HOUR - 1)
    expect((await ring.signingKey()).kid).toBe(first.kid)

    await clock.advance(1)
    expect((await ring.signingKey()).kid).toBe(second.kid)
    const listed = await ring.list()
    expect(listed.map(({ kid, state, signing }) => ({ kid, state, signing }))).toEqual([
      { kid: first.kid, state: 'retired', signing: false },
      { kid: second.kid, state: 'active', signing: true },
    ])
    expect(listed[0]).toMatchObject({
      retiredAt: second.activatesAt,
      expiresAt: second.activatesAt + 600_000,
    })
    // Still published while tokens it signed may be alive (tokenTtl 600 s), then left out.
    await clock.advance(600_000 - 1)
    expect(await kids(ring)).toEqual([first.kid, second.kid])
    await clock.advance(1)
    expect(await kids(ring)).toEqual([second.kid])
    expect((await ring.list()).map((key) => key.state)).toEqual(['expired', 'active'])
  })

  it('retires every unretired key at the activation of a rotation, and keeps the algorithm unless told', async () => {
    const { clock, ring } = setup({ publishBefore: 60 })
    const a = await ring.generate('EdDSA')
    const b = await ring.rotate()
    const c = await ring.rotate('PS256')
    expect(b.alg).toBe('EdDSA')
    expect(c.alg).toBe('PS256')
    await clock.advance(60_000)
    expect((await ring.signingKey()).kid).toBe(c.kid)
    const states = Object.fromEntries((await ring.list()).map((key) => [key.kid, key]))
    // b was published but never signed; its retirement was moved to c's activation, not later.
    expect(states[a.kid]).toMatchObject({ state: 'retired', retiredAt: c.activatesAt })
    expect(states[b.kid]).toMatchObject({ state: 'retired' })
  })

  it('retires a key on demand, keeping it published, or unpublishing a compromised one at once', async () => {
    const { clock, ring } = setup()
    const old = await ring.generate('ES256')
    const next = await ring.rotate()
    await clock.advance(HOUR)
    const retired = await ring.retire(next.kid)
    expect(retired).toMatchObject({
      state: 'retired',
      retiredAt: clock.now(),
      expiresAt: clock.now() + 600_000,
    })
    // Nothing signs any more: say so rather than falling back to an older key.
    await expect(ring.signingKey()).rejects.toMatchObject({ code: 'ERR_KEY_NONE_ACTIVE' })
    expect(await kids(ring)).toEqual([old.kid, next.kid])
    await ring.retire(old.kid, { unpublish: true })
    expect(await kids(ring)).toEqual([next.kid])
    await expect(ring.retire('no-such-kid')).rejects.toMatchObject({ code: 'ERR_KEY_NOT_FOUND', status: 404 })
  })

  it('generates a key for a chosen activation time, published until then, and refuses a non-finite one', async () => {
    const { clock, ring } = setup()
    const now = await ring.generate('ES256')
    const later = await ring.generate('EdDSA', { activatesAt: clock.now() + 10_000 })
    expect(later).toMatchObject({ state: 'pending', activatesAt: clock.now() + 10_000 })
    expect(await kids(ring)).toEqual([now.kid, later.kid])
    await clock.advance(10_000)
    // generate retires nothing: the newest active key signs, the older one stays published.
    expect((await ring.signingKey()).kid).toBe(later.kid)
    expect((await ring.list()).map((key) => key.state)).toEqual(['active', 'active'])
    await expect(ring.generate('ES256', { activatesAt: Number.NaN })).rejects.toMatchObject({
      code: 'ERR_KEY_OPTIONS',
    })
  })

  it('sees a rotation made by another instance on the shared store after refreshInterval', async () => {
    const { clock, store, ring } = setup({ refreshInterval: 30 })
    const other = createKeyRing({ store, kek: KEK, now: clock.now, tokenTtl: 600 })
    const first = await ring.generate('ES256')
    expect(await kids(ring)).toEqual([first.kid])
    const second = await other.rotate()
    expect(await kids(ring)).toEqual([first.kid])
    await clock.advance(30_000)
    expect(await kids(ring)).toEqual([first.kid, second.kid])
  })
})

describe('keys and tokens', () => {
  it.each(SIGNING_ALGORITHMS)(
    '%s: kid is the RFC 7638 thumbprint, the JWKS is public only, tokens verify',
    async (alg) => {
      const { ring } = setup()
      const info = await ring.generate(alg)
      const jwks = await ring.publicJwks()
      expect(jwks.keys).toHaveLength(1)
      const [jwk] = jwks.keys
      expect(jwk).toMatchObject({ kid: info.kid, alg, use: 'sig' })
      for (const member of PRIVATE_MEMBERS) expect(jwk).not.toHaveProperty(member)
      expect(await calculateJwkThumbprint(jwk as NonNullable<typeof jwk>, 'sha256')).toBe(info.kid)
      if (alg === 'RS256' || alg === 'PS256')
        expect(Buffer.from(jwk?.n as string, 'base64url')).toHaveLength(256)
      for (const member of PRIVATE_MEMBERS) expect(info.publicJwk).not.toHaveProperty(member)
      expect(JSON.stringify(await ring.list())).not.toContain('a256gcm')

      const signing = await ring.signingKey()
      expect(signing.privateKey.extractable).toBe(false)
      // Decrypted once, then reused.
      expect((await ring.signingKey()).privateKey).toBe(signing.privateKey)
      const verifier = createTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks, onWarning: false })
      await expect(verifier.verify(await issue(ring))).resolves.toMatchObject({ sub: 'oac_test' })
    },
  )

  it('refuses RSA moduli under 2048 bits and unknown algorithms', async () => {
    expect(() => setup({ modulusLength: 1024 })).toThrow(expect.objectContaining({ code: 'ERR_KEY_OPTIONS' }))
    expect(() => setup({ publishBefore: -1 })).toThrow(expect.objectContaining({ code: 'ERR_KEY_OPTIONS' }))
    const { ring } = setup({ modulusLength: 3072 })
    await expect(ring.generate('HS256' as never)).rejects.toMatchObject({ code: 'ERR_KEY_ALGORITHM' })
    const { publicJwk: jwk } = await ring.generate('RS256')
    expect(Buffer.from(jwk.n as string, 'base64url')).toHaveLength(384)
  })
})

describe('encryption at rest', () => {
  /** A fresh store holding `records` as given (altered copies of real ones). */
  async function storeWith(records: KeyRecord[]): Promise<KeyStore> {
    const store = createMemoryKeyStore()
    for (const record of records) await store.insert(record)
    return store
  }

  it('stores the private key sealed with AES-256-GCM under a named scheme, never in clear', async () => {
    const { store, ring } = setup()
    const { kid } = await ring.generate('EdDSA')
    const record = (await store.get(kid)) as KeyRecord
    expect(record.encryptedPrivateKey).toMatch(/^a256gcm-v1\$[\w-]{12}\$[\w-]{16}\$[\w-]+$/)
    expect(record.encryptedPrivateKey).not.toContain(record.publicJwk.x as string)
    expect(Object.keys(record.publicJwk).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x'])
  })

  it('accepts the KEK as bytes or base64 text, and refuses any other length or text', () => {
    const text = KEK.toString('base64')
    expect(() => setup({ kek: text })).not.toThrow()
    expect(() => setup({ kek: KEK.toString('base64url') })).not.toThrow()
    for (const kek of [
      randomBytes(31),
      randomBytes(33),
      '',
      'not base64 at all!',
      randomBytes(16).toString('base64'),
      undefined,
    ]) {
      expect(() => setup({ kek: kek as never })).toThrow(expect.objectContaining({ code: 'ERR_KEK_INVALID' }))
    }
    try {
      setup({ kek: `${text}AAAA` })
    } catch (error) {
      expect(String((error as Error).message)).not.toContain(text.slice(0, 8))
    }
  })

  it('refuses to sign or publish with a wrong KEK, naming no key material', async () => {
    const { clock, store, ring } = setup()
    const { kid } = await ring.generate('ES256')
    const sealed = ((await store.get(kid)) as KeyRecord).encryptedPrivateKey
    const wrong = createKeyRing({ store, kek: randomBytes(32), now: clock.now })
    for (const call of [wrong.signingKey(), wrong.publicJwks()]) {
      const error = await call.catch((caught: unknown) => caught)
      expect(error).toMatchObject({ code: 'ERR_KEK_MISMATCH', name: 'KeyRingError' })
      expect((error as Error).message).toContain(kid)
      expect((error as Error).message).not.toContain(sealed.split('$')[3]?.slice(0, 12))
    }
  })

  it('refuses a tampered ciphertext, a forged KEK id, and a sealed key swapped into another record', async () => {
    const { clock, store, ring } = setup({ publishBefore: 0 })
    const a = (await store.get((await ring.generate('ES256')).kid)) as KeyRecord
    const b = (await store.get((await ring.generate('ES256')).kid)) as KeyRecord
    const ringOn = async (records: KeyRecord[]) =>
      createKeyRing({ store: await storeWith(records), kek: KEK, now: clock.now })

    const parts = a.encryptedPrivateKey.split('$')
    const body = parts[3] as string
    const flipped = `${body.slice(0, 5)}${body[5] === 'A' ? 'B' : 'A'}${body.slice(6)}`
    const tampered = await ringOn([{ ...a, encryptedPrivateKey: [...parts.slice(0, 3), flipped].join('$') }])
    await expect(tampered.signingKey()).rejects.toMatchObject({ code: 'ERR_KEY_TAMPERED' })

    // b's sealed key under a's kid and public key: the additional data (the kid) does not match.
    const swapped = await ringOn([{ ...a, encryptedPrivateKey: b.encryptedPrivateKey }])
    await expect(swapped.signingKey()).rejects.toMatchObject({ code: 'ERR_KEY_TAMPERED' })
    await expect(swapped.publicJwks()).rejects.toMatchObject({ code: 'ERR_KEY_TAMPERED' })

    // A key someone inserted without the KEK is never published.
    const forged = await ringOn([{ ...a, encryptedPrivateKey: 'a256gcm-v2$x$y$z' }])
    await expect(forged.publicJwks()).rejects.toMatchObject({ code: 'ERR_KEY_FORMAT' })
    const intact = await ringOn([a])
    expect(await kids(intact)).toEqual([a.kid])
  })
})

describe('rotation while tokens are issued and verified', () => {
  let server: Server | undefined
  afterEach(async () => {
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined))
  })

  it('fails no verification across two rotations (verifier refreshing its JWKS cache over HTTP)', async () => {
    // Real time, short windows: new keys are published 1 s before they sign; the verifier
    // refreshes every 300 ms and never refetches on an unknown kid within the test (cooldown).
    const ring = createKeyRing({
      store: createMemoryKeyStore(),
      kek: KEK,
      publishBefore: 1,
      tokenTtl: 2,
      refreshInterval: 0,
    })
    await ring.generate('EdDSA')
    server = createServer((_request, response) => {
      ring.publicJwks().then(
        (jwks) => {
          response.writeHead(200, { 'content-type': 'application/jwk-set+json', 'cache-control': 'no-store' })
          response.end(JSON.stringify(jwks))
        },
        () => {
          response.writeHead(500)
          response.end()
        },
      )
    })
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    const verifier = createTokenVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: `http://127.0.0.1:${port}/jwks.json`,
      remote: { maxAge: 300, minAge: 100, cooldown: 60_000 },
      onWarning: false,
    })
    await verifier.ready?.()

    const signedBy = new Set<string>()
    const failures: unknown[] = []
    let verified = 0
    let running = true
    const worker = async () => {
      while (running) {
        const token = await issue(ring, 2)
        signedBy.add(JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString()).kid)
        await verifier.verify(token).then(
          () => verified++,
          (error: unknown) => failures.push(error),
        )
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
    }
    const workers = Array.from({ length: 4 }, worker)
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
    const first = (await ring.list())[0]?.kid
    await sleep(200)
    await ring.rotate('ES256')
    await sleep(1500)
    await ring.rotate('RS256')
    await sleep(2800)
    running = false
    await Promise.all(workers)

    expect(failures).toEqual([])
    expect(verified).toBeGreaterThan(100)
    expect(signedBy.size).toBe(3)
    // The first key left the JWKS (retired at ~1.2 s, published 2 s more) while tokens kept verifying.
    expect(await kids(ring)).not.toContain(first)
  }, 20_000)
})
