/** What the contracts do not cover: prefixes, the key layout (hash tags), failures, the client types. */
import { readdirSync, readFileSync } from 'node:fs'
import { isAuthError } from '@org/auth-core'
import { sessionRecord, sessionRecordOf } from '@org/test-kit/store-contracts'
import { createClient, type RedisClusterType } from 'redis'
import { describe, expect, it } from 'vitest'
import { RedisDelegationStore, RedisOneTimeStore, RedisSessionStore, RedisStoreError } from '../src/index.js'
import { freshPrefix, keysUnder, REDIS_URL, skip, useRedis } from './redis.js'

const inAnHour = () => Math.floor(Date.now() / 1000) + 3600

describe('without a server', () => {
  it('refuses a prefix with hash-tag braces, which would break the key layout', () => {
    const client = { eval: async () => null }
    expect(() => new RedisOneTimeStore(client, { prefix: 'app{1}:' })).toThrow(/prefix/)
    expect(() => new RedisSessionStore(client, { prefix: '{' })).toThrow(/prefix/)
  })

  it('never lists keys on a request path: no KEYS or SCAN in the stores', () => {
    const dir = new URL('../src/', import.meta.url)
    for (const file of readdirSync(dir)) {
      expect(readFileSync(new URL(file, dir), 'utf8'), file).not.toMatch(/\b(KEYS|SCAN)\b['"]|'(KEYS|SCAN)/)
    }
  })

  it('accepts a node-redis cluster as well as a client (type check)', () => {
    const stores = (cluster: RedisClusterType) => [
      new RedisOneTimeStore(cluster),
      new RedisSessionStore(cluster),
      new RedisDelegationStore(cluster),
    ]
    expect(stores).toBeTypeOf('function')
  })
})

describe.skipIf(skip)('Redis stores (REDIS_URL)', () => {
  const { client } = useRedis()

  it('keeps two prefixes apart: one application never sees the state of another', async () => {
    const [a, b] = [{ prefix: freshPrefix() }, { prefix: freshPrefix() }]
    const expiresAt = inAnHour()
    await expect(new RedisOneTimeStore(client(), a).consume('k', expiresAt)).resolves.toBe(true)
    await expect(new RedisOneTimeStore(client(), b).consume('k', expiresAt)).resolves.toBe(true)
    await expect(new RedisOneTimeStore(client(), a).consume('k', expiresAt)).resolves.toBe(false)

    const [sessionsA, sessionsB] = [new RedisSessionStore(client(), a), new RedisSessionStore(client(), b)]
    await sessionsA.set('s1', sessionRecordOf('s1', 'alice', expiresAt))
    await expect(sessionsB.get('s1')).resolves.toBeUndefined()
    await expect(sessionsB.listUserSessions('alice')).resolves.toEqual([])
    await expect(sessionsB.deleteUserSessions('alice')).resolves.toBe(0)
    await expect(sessionsA.get('s1')).resolves.toMatchObject({ id: 's1' })

    const [delegationA, delegationB] = [
      new RedisDelegationStore(client(), a),
      new RedisDelegationStore(client(), b),
    ]
    await delegationA.putSession(sessionRecord('d1'))
    await expect(delegationB.recordAttempt('sp', 'd1', 'alice')).resolves.toBeUndefined()
    await expect(delegationB.takeSession('sp', 'd1')).resolves.toBeUndefined()
    await expect(delegationA.takeSession('sp', 'd1')).resolves.toMatchObject({ id: 'd1', attempts: 0 })
  })

  it('hash-tags every key, with one tag per delegation provider (Redis Cluster)', async () => {
    const prefix = freshPrefix()
    const expiresAt = inAnHour()
    await new RedisOneTimeStore(client(), { prefix }).consume('org-auth:login:x', expiresAt)
    await new RedisSessionStore(client(), { prefix }).set('s1', {
      ...sessionRecordOf('s1', 'alice', expiresAt),
      idpSid: 'sid:{1}',
    })
    const delegation = new RedisDelegationStore(client(), { prefix })
    await delegation.putSession(sessionRecord('d1'))
    await delegation.putCredentials('sp', 'alice', {
      method: 'email',
      email: 'alice@example.com',
      phoneNumber: null,
      totpSecret: null,
      updatedAt: 1,
    })
    const keys = (await keysUnder(client(), prefix)).map((key) => key.slice(prefix.length))
    expect(keys).toEqual([
      'delegation:{sp}:credentials:alice',
      'delegation:{sp}:pending:alice',
      'delegation:{sp}:session:d1',
      'idp-sessions:{sid%003a%007b1%007d}',
      'once:{org-auth%003alogin%003ax}',
      'session:{s1}',
      'user-sessions:{alice}',
    ])
  })

  it('expires what it stores: sessions, their indexes and pending MFA changes', async () => {
    const prefix = freshPrefix()
    const expiresAt = inAnHour()
    await new RedisSessionStore(client(), { prefix }).set('s1', {
      ...sessionRecordOf('s1', 'alice', expiresAt),
      idpSid: 'sid-1',
    })
    await new RedisDelegationStore(client(), { prefix }).putSession(sessionRecord('d1', { expiresAt }))
    const expiry = async (key: string) => Number(await client().expireTime(`${prefix}${key}`))
    await expect(expiry('session:{s1}')).resolves.toBe(expiresAt)
    await expect(expiry('user-sessions:{alice}')).resolves.toBe(expiresAt)
    await expect(expiry('idp-sessions:{sid-1}')).resolves.toBe(expiresAt)
    // A pending change outlives its expiresAt by a grace hour, so the service reports it expired.
    await expect(expiry('delegation:{sp}:session:d1')).resolves.toBe(expiresAt + 3600)
    await expect(expiry('delegation:{sp}:pending:alice')).resolves.toBe(expiresAt + 3600)
  })

  it('keeps the idpSid index from pointing at deleted sessions', async () => {
    const prefix = freshPrefix()
    const store = new RedisSessionStore(client(), { prefix })
    const expiresAt = inAnHour()
    const members = () => client().zRange(`${prefix}idp-sessions:{sid}`, 0, -1)
    for (const [id, sub] of [
      ['s1', 'alice'],
      ['s2', 'bob'],
      ['s3', 'carol'],
    ] as const) {
      await store.set(id, { ...sessionRecordOf(id, sub, expiresAt), idpSid: 'sid' })
    }
    await expect(members()).resolves.toEqual(['s1', 's2', 's3'])
    // delete() read the session (GETDEL), so it knows the entry to remove.
    await store.delete('s1')
    await expect(members()).resolves.toEqual(['s2', 's3'])
    // "Sign out everywhere" deletes by id: the entry stays until a reader finds it stale.
    await expect(store.deleteUserSessions('bob')).resolves.toBe(1)
    await expect(members()).resolves.toEqual(['s2', 's3'])
    await expect(store.listSessionsByIdpSid('sid')).resolves.toMatchObject([{ id: 's3' }])
    await expect(members()).resolves.toEqual(['s3'])
    // So does a session rewritten under another provider session.
    await store.set('s3', { ...sessionRecordOf('s3', 'carol', expiresAt), idpSid: 'other' })
    await expect(store.listSessionsByIdpSid('sid')).resolves.toEqual([])
    await expect(members()).resolves.toEqual([])
    await expect(keysUnder(client(), `${prefix}idp-sessions:{sid}`)).resolves.toEqual([])
  })

  it('fails closed with a 503 AuthError that names no key when Redis is gone', async () => {
    const closed = createClient({ url: REDIS_URL })
    await closed.connect()
    closed.destroy()
    const stores = {
      consume: () => new RedisOneTimeStore(closed).consume('secret-key', inAnHour()),
      get: () => new RedisSessionStore(closed).get('secret-session-id'),
      take: () => new RedisDelegationStore(closed).takeSession('sp', 'secret-session-id'),
    }
    for (const [name, call] of Object.entries(stores)) {
      const error = await call().then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(error, name).toBeInstanceOf(RedisStoreError)
      expect(isAuthError(error) && error.code, name).toBe('ERR_STORE_UNAVAILABLE')
      expect(isAuthError(error) && error.status, name).toBe(503)
      expect(String((error as Error).message), name).not.toMatch(/secret/)
    }
  })

  it('refuses a value it did not write instead of trusting it', async () => {
    const prefix = freshPrefix()
    await client().set(`${prefix}session:{s1}`, 'not json')
    await expect(new RedisSessionStore(client(), { prefix }).get('s1')).rejects.toMatchObject({
      code: 'ERR_STORE_INVALID_VALUE',
      status: 500,
    })
  })
})
