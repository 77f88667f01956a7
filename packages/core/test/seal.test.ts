/**
 * Sealing keys are imported once, in the same format as before; the session cookie's unsealed
 * values are remembered per exact value until they expire, and nothing unseals from there that a
 * full check would refuse.
 */
import { base64url, EncryptJWT, jwtDecrypt } from 'jose'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { resolveConfig, siteResolver } from '../src/web/auth-config.js'
import { parseCookies } from '../src/web/cookies.js'
import { createSealer, type Sealer, type Unsealed, withUnsealCache } from '../src/web/seal.js'
import { SessionCookies } from '../src/web/session-cookie.js'
import { SECRET } from './helpers/web-login.js'

const encoder = new TextEncoder()
const nowSeconds = () => Math.floor(Date.now() / 1000)

/** The key and kid derivation as the sealer defines it (HKDF-SHA-256, info by purpose), written out. */
async function rawKey(secret: string, purpose: string): Promise<{ key: Uint8Array; kid: string }> {
  const material = await crypto.subtle.importKey('raw', encoder.encode(secret), 'HKDF', false, ['deriveBits'])
  const bits = async (info: string, length: number) =>
    new Uint8Array(
      await crypto.subtle.deriveBits(
        { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: encoder.encode(info) },
        material,
        length,
      ),
    )
  return {
    key: await bits(`org-auth ${purpose} A256GCM`, 256),
    kid: base64url.encode(await bits(`org-auth ${purpose} kid`, 64)),
  }
}

/** A sealer that counts the unseals reaching it. */
function counting(sealer: Sealer): Sealer & { unseals: number } {
  const counted = {
    unseals: 0,
    seal: sealer.seal,
    unseal: (value: string) => {
      counted.unseals += 1
      return sealer.unseal(value)
    },
  }
  return counted
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('sealing keys', () => {
  it('imports each derived key once, not on every seal and unseal', async () => {
    const importKey = vi.spyOn(crypto.subtle, 'importKey')
    const sealer = createSealer([SECRET, `${SECRET}-older`], 'session')
    for (let i = 0; i < 10; i++) {
      const value = await sealer.seal({ n: i }, nowSeconds() + 60)
      await expect(sealer.unseal(value)).resolves.toMatchObject({ payload: { n: i }, current: true })
    }
    // Per secret: the HKDF material and the AES-GCM key, at first use.
    expect(importKey).toHaveBeenCalledTimes(4)
  })

  it('keeps the format: values sealed with the raw derived key unseal, and new ones decrypt with it', async () => {
    const { key, kid } = await rawKey(SECRET, 'session')
    const before = await new EncryptJWT({ sid: 'from-an-earlier-release' })
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid })
      .setIssuedAt()
      .setExpirationTime(nowSeconds() + 60)
      .encrypt(key)
    const sealer = createSealer([SECRET], 'session')
    await expect(sealer.unseal(before)).resolves.toMatchObject({
      payload: { sid: 'from-an-earlier-release' },
    })
    const after = await sealer.seal({ sid: 'new' }, nowSeconds() + 60)
    const { payload, protectedHeader } = await jwtDecrypt(after, key)
    expect(payload).toMatchObject({ sid: 'new' })
    expect(protectedHeader).toMatchObject({ alg: 'dir', enc: 'A256GCM', kid })
  })
})

describe('withUnsealCache', () => {
  it('unseals a value once and serves the same frozen payload to later requests', async () => {
    const inner = counting(createSealer([SECRET], 'session'))
    const sealer = withUnsealCache(inner)
    const value = await sealer.seal({ session: { user: { sub: 'alice' } } }, nowSeconds() + 60)
    const first = await sealer.unseal(value)
    for (let i = 0; i < 4; i++) expect(await sealer.unseal(value)).toBe(first)
    expect(inner.unseals).toBe(1)
    const user = ((first as Unsealed).payload['session'] as { user: { sub: string } }).user
    expect(Object.isFrozen(user)).toBe(true)
    expect(() => {
      user.sub = 'mallory'
    }).toThrow(TypeError)
  })

  it('stops serving a value when it expires, and the full check then refuses it', async () => {
    let now = Date.now()
    const inner = counting(createSealer([SECRET], 'session', () => now))
    const sealer = withUnsealCache(inner, () => now)
    const expiresAt = Math.floor(now / 1000) + 60
    const value = await sealer.seal({ sid: 's' }, expiresAt)
    await expect(sealer.unseal(value)).resolves.toBeDefined()
    now = expiresAt * 1000 - 1
    await expect(sealer.unseal(value)).resolves.toBeDefined()
    expect(inner.unseals).toBe(1)
    now = expiresAt * 1000
    await expect(sealer.unseal(value)).resolves.toBeUndefined()
    await expect(sealer.unseal(value)).resolves.toBeUndefined()
    expect(inner.unseals).toBe(3)
  })

  it('never serves a remembered payload for another value that ends the same way', async () => {
    const inner = counting(createSealer([SECRET], 'session'))
    const sealer = withUnsealCache(inner)
    const value = await sealer.seal({ sid: 's' }, nowSeconds() + 60)
    await sealer.unseal(value)
    // One ciphertext character changed far from the end: the cache key (the tail) is the same.
    const dots = [...value].flatMap((c, i) => (c === '.' ? [i] : []))
    const at = (dots[2] as number) + 1
    const forged = value.slice(0, at) + (value[at] === 'A' ? 'B' : 'A') + value.slice(at + 1)
    expect(forged.slice(-32)).toBe(value.slice(-32))
    await expect(sealer.unseal(forged)).resolves.toBeUndefined()
    await expect(sealer.unseal(forged)).resolves.toBeUndefined()
    expect(inner.unseals).toBe(3)
    await expect(sealer.unseal(value)).resolves.toMatchObject({ payload: { sid: 's' } })
    expect(inner.unseals).toBe(3)
  })

  it('forgets the least recently used value beyond maxEntries', async () => {
    const inner = counting(createSealer([SECRET], 'session'))
    const sealer = withUnsealCache(inner, Date.now, 2)
    const values = await Promise.all([1, 2, 3].map((n) => sealer.seal({ n }, nowSeconds() + 60)))
    for (const value of values) await sealer.unseal(value)
    await sealer.unseal(values[2] as string)
    await sealer.unseal(values[1] as string)
    expect(inner.unseals).toBe(3)
    await sealer.unseal(values[0] as string)
    expect(inner.unseals).toBe(4)
  })

  it('makes a session cookie read decrypt once per cookie value', async () => {
    const config = resolveConfig({
      client: {} as never,
      baseUrl: 'https://app.example.com',
      session: { secrets: SECRET },
    })
    const cookies = new SessionCookies(config, createSealer(config.secrets, 'session'))
    const site = siteResolver(config)(new Request('https://app.example.com/'))
    const now = nowSeconds()
    const session = { id: 'id', user: { sub: 'alice' }, tokens: {}, createdAt: now, expiresAt: now + 600 }
    const written = await cookies.write(site, new Map(), session)
    const jar = parseCookies(written.cookies.map((line) => line.split(';', 1)[0]).join('; '))
    const decrypt = vi.spyOn(crypto.subtle, 'decrypt')
    for (let i = 0; i < 3; i++) {
      await expect(cookies.read(site, jar)).resolves.toMatchObject({
        session: { id: 'id', user: { sub: 'alice' } },
      })
    }
    expect(decrypt).toHaveBeenCalledTimes(1)
  })
})
