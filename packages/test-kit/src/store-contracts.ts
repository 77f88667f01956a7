/**
 * The contracts every store implementation passes, whatever it is built on: the memory stores of
 * @org/auth-core and @org/auth-server, and the Redis and PostgreSQL stores, with the same functions.
 * The concurrency cases fire the racing calls together; an implementation that reads and then
 * writes in two round trips fails them.
 *
 * The store interfaces are restated structurally here: this package is a devDependency of the core
 * and the server, so it cannot depend on them (a workspace cycle), and passing a real store to
 * these functions checks that it fits.
 */
import { describe, expect, it } from 'vitest'
import { HOSTILE_KEYS } from './hostile-keys.js'

export * from './client-contract.js'
export * from './delegation-contract.js'
export { HOSTILE_KEYS } from './hostile-keys.js'
export * from './key-store-contract.js'
export * from './passkey-credential-contract.js'
export * from './rate-limit-contract.js'
export * from './revocation-contract.js'

export interface OneTimeStoreLike {
  consume(key: string, expiresAt: number): Promise<boolean>
}

export interface SessionLike {
  id: string
  user: { sub: string; [claim: string]: unknown }
  tokens: {
    accessToken?: string
    refreshToken?: string
    idToken?: string
    expiresAt?: number
    scope?: string
  }
  data?: Record<string, unknown>
  idpSid?: string
  createdAt: number
  expiresAt: number
}

export interface SessionStoreLike {
  get(id: string): Promise<SessionLike | undefined>
  set(id: string, session: SessionLike): Promise<void>
  delete(id: string): Promise<void>
  update?(id: string, session: SessionLike): Promise<boolean>
}

/** A session store with the per-user index ("sign out everywhere"). */
export interface IndexedSessionStoreLike extends SessionStoreLike {
  listUserSessions(sub: string): Promise<SessionLike[]>
  deleteUserSessions(sub: string): Promise<number>
}

/** A session store that finds sessions by their provider session id (back-channel logout by `sid`). */
export interface IdpSidSessionStoreLike extends SessionStoreLike {
  listSessionsByIdpSid(sid: string): Promise<SessionLike[]>
}

/**
 * The time a store runs on. Memory stores take a fake clock that `advance` moves at once; a
 * database keeps its own time, so its tests pass `realClock`, whose `advance` waits.
 */
export interface ContractClock {
  /** Epoch milliseconds. */
  now(): number
  advance(ms: number): Promise<void>
}

export const realClock: ContractClock = {
  now: () => Date.now(),
  advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
}

export function fakeClock(start = Date.now()): ContractClock {
  let now = start
  return {
    now: () => now,
    advance: async (ms) => {
      now += ms
    },
  }
}

/** Whole seconds from now, on the store's clock: the next second boundary plus `seconds`. */
const secondsFromNow = (clock: ContractClock, seconds: number) => Math.ceil(clock.now() / 1000) + seconds

/** Advances the clock just past `expiresAt` (epoch seconds). */
const passExpiry = (clock: ContractClock, expiresAt: number) =>
  clock.advance(Math.max(0, expiresAt * 1000 - clock.now()) + 150)

/** Runs the `OneTimeStore` (and `ReplayStore`) contract against fresh stores from `make`. */
export function oneTimeStoreContract(
  name: string,
  make: () => Promise<OneTimeStoreLike>,
  clock: ContractClock,
): void {
  describe(`OneTimeStore contract: ${name}`, () => {
    it('lets exactly one of 100 concurrent consumers of a key through', async () => {
      const store = await make()
      const expiresAt = secondsFromNow(clock, 60)
      const results = await Promise.all(Array.from({ length: 100 }, () => store.consume('race', expiresAt)))
      expect(results.filter(Boolean)).toHaveLength(1)
      await expect(store.consume('race-other', expiresAt)).resolves.toBe(true)
    })

    it('claims each of many keys consumed together exactly once, hostile keys included', async () => {
      const store = await make()
      const expiresAt = secondsFromNow(clock, 60)
      const first = [...HOSTILE_KEYS, ...Array.from({ length: 600 }, (_, i) => `batch-${i}`)]
      // Each key twice in the same turn: one of the two claims it.
      const twice = await Promise.all([...first, ...first].map((key) => store.consume(key, expiresAt)))
      for (const [i, key] of first.entries()) {
        expect([twice[i], twice[i + first.length]].filter(Boolean), key).toHaveLength(1)
      }
      // Old and new keys together: only the new ones are claimed.
      const fresh = Array.from({ length: 50 }, (_, i) => `batch-new-${i}`)
      const mixed = [...first.slice(0, 50), ...fresh]
      const results = await Promise.all(mixed.map((key) => store.consume(key, expiresAt)))
      expect(results).toEqual([...Array(50).fill(false), ...Array(50).fill(true)])
    })

    it('remembers a key until it expires, then lets it through once more', async () => {
      const store = await make()
      const expiresAt = secondsFromNow(clock, 1)
      await expect(store.consume('k', expiresAt)).resolves.toBe(true)
      await expect(store.consume('k', expiresAt)).resolves.toBe(false)
      await passExpiry(clock, expiresAt)
      await expect(store.consume('k', expiresAt + 60)).resolves.toBe(true)
      await expect(store.consume('k', expiresAt + 60)).resolves.toBe(false)
    })

    it('holds nothing for a key whose expiry has passed already', async () => {
      const store = await make()
      const past = Math.floor(clock.now() / 1000) - 10
      await expect(store.consume('past', past)).resolves.toBe(true)
      await expect(store.consume('past', past)).resolves.toBe(true)
    })

    it('keeps unicode, SQL metacharacters, NUL bytes and lone surrogates in keys distinct', async () => {
      const store = await make()
      const expiresAt = secondsFromNow(clock, 60)
      for (const key of HOSTILE_KEYS) await expect(store.consume(key, expiresAt), key).resolves.toBe(true)
      for (const key of HOSTILE_KEYS) await expect(store.consume(key, expiresAt), key).resolves.toBe(false)
    })
  })
}

export function sessionRecordOf(id: string, sub: string, expiresAt: number): SessionLike {
  return {
    id,
    user: { sub, name: 'Zoë', email: `${sub}@example.com` },
    tokens: { accessToken: `at-${id}`, refreshToken: `rt-${id}`, expiresAt, scope: 'openid profile' },
    data: { roles: ['reader'], tenant: 't1' },
    createdAt: expiresAt - 3600,
    expiresAt,
  }
}

/** Runs the `SessionStore` contract against fresh stores from `make`. */
export function sessionStoreContract(
  name: string,
  make: () => Promise<SessionStoreLike>,
  clock: ContractClock,
): void {
  describe(`SessionStore contract: ${name}`, () => {
    it('stores, replaces and deletes a session, and hands out copies', async () => {
      const store = await make()
      const session = sessionRecordOf('s1', 'alice', secondsFromNow(clock, 3600))
      await expect(store.get('s1')).resolves.toBeUndefined()
      await store.set('s1', session)
      const read = await store.get('s1')
      expect(read).toEqual(session)
      if (read !== undefined) read.user.sub = 'mallory'
      session.tokens.accessToken = 'changed after set'
      await expect(store.get('s1')).resolves.toMatchObject({
        user: { sub: 'alice' },
        tokens: { accessToken: 'at-s1' },
      })
      await store.set('s1', { ...session, tokens: { accessToken: 'rotated' } })
      await expect(store.get('s1')).resolves.toMatchObject({ tokens: { accessToken: 'rotated' } })
      await store.delete('s1')
      await expect(store.get('s1')).resolves.toBeUndefined()
      await expect(store.delete('never-stored')).resolves.toBeUndefined()
    })

    it('updates only a session still stored: a revoked one stays revoked', async () => {
      const store = await make()
      if (store.update === undefined)
        throw new Error(`${name} has no update(): renewals could resurrect revoked sessions`)
      const expiresAt = secondsFromNow(clock, 3600)
      const session = sessionRecordOf('u1', 'alice', expiresAt)
      await expect(store.update('u1', session)).resolves.toBe(false)
      await expect(store.get('u1')).resolves.toBeUndefined()
      await store.set('u1', session)
      await expect(store.update('u1', { ...session, tokens: { accessToken: 'refreshed' } })).resolves.toBe(
        true,
      )
      await expect(store.get('u1')).resolves.toMatchObject({ tokens: { accessToken: 'refreshed' } })
      // Renewals in flight while the session is revoked: whichever order they land in, it ends deleted.
      const update = store.update.bind(store)
      const renew = (i: number) => update('u1', { ...session, tokens: { accessToken: `late-${i}` } })
      const before = Array.from({ length: 10 }, (_, i) => renew(i))
      const revoked = store.delete('u1')
      const after = Array.from({ length: 10 }, (_, i) => renew(10 + i))
      await Promise.all([...before, revoked, ...after])
      await expect(store.get('u1')).resolves.toBeUndefined()
      await expect(update('u1', session)).resolves.toBe(false)
      await expect(store.get('u1')).resolves.toBeUndefined()
    })

    it('forgets a session at its expiresAt', async () => {
      const store = await make()
      const expiresAt = secondsFromNow(clock, 1)
      await store.set('short', sessionRecordOf('short', 'alice', expiresAt))
      await store.set('long', sessionRecordOf('long', 'alice', expiresAt + 3600))
      await expect(store.get('short')).resolves.toBeDefined()
      await passExpiry(clock, expiresAt)
      await expect(store.get('short')).resolves.toBeUndefined()
      await expect(store.get('long')).resolves.toBeDefined()
    })

    it('keeps large sessions whole', async () => {
      const store = await make()
      const session = sessionRecordOf('big', 'alice', secondsFromNow(clock, 3600))
      session.tokens.idToken = 'x'.repeat(64 * 1024)
      session.data = { blob: 'é🔑'.repeat(128 * 1024), list: Array.from({ length: 1000 }, (_, i) => i) }
      await store.set('big', session)
      await expect(store.get('big')).resolves.toEqual(session)
    })

    it('keeps hostile session ids and subjects distinct', async () => {
      const store = await make()
      const expiresAt = secondsFromNow(clock, 3600)
      for (const id of HOSTILE_KEYS) await store.set(id, sessionRecordOf(id, id, expiresAt))
      for (const id of HOSTILE_KEYS) {
        await expect(store.get(id), id).resolves.toMatchObject({ id, user: { sub: id } })
      }
      await store.delete('a\uD800')
      await expect(store.get('a\uD800')).resolves.toBeUndefined()
      await expect(store.get('a\uDC00')).resolves.toMatchObject({ id: 'a\uDC00' })
    })
  })
}

/** Runs the per-user index contract ("sign out everywhere") against fresh stores from `make`. */
export function sessionIndexContract(
  name: string,
  make: () => Promise<IndexedSessionStoreLike>,
  clock: ContractClock,
): void {
  const ids = (sessions: SessionLike[]) => sessions.map((session) => session.id).sort()

  describe(`Session index contract: ${name}`, () => {
    it("lists and deletes one user's sessions, and no one else's", async () => {
      const store = await make()
      const expiresAt = secondsFromNow(clock, 3600)
      await store.set('a1', sessionRecordOf('a1', 'alice', expiresAt))
      await store.set('a2', sessionRecordOf('a2', 'alice', expiresAt + 60))
      await store.set('b1', sessionRecordOf('b1', 'bob', expiresAt))
      expect(ids(await store.listUserSessions('alice'))).toEqual(['a1', 'a2'])
      await expect(store.deleteUserSessions('alice')).resolves.toBe(2)
      await expect(store.get('a1')).resolves.toBeUndefined()
      await expect(store.get('a2')).resolves.toBeUndefined()
      await expect(store.listUserSessions('alice')).resolves.toEqual([])
      await expect(store.deleteUserSessions('alice')).resolves.toBe(0)
      expect(ids(await store.listUserSessions('bob'))).toEqual(['b1'])
      await expect(store.get('b1')).resolves.toBeDefined()
    })

    it('leaves deleted and expired sessions out', async () => {
      const store = await make()
      const soon = secondsFromNow(clock, 1)
      await store.set('short', sessionRecordOf('short', 'alice', soon))
      await store.set('gone', sessionRecordOf('gone', 'alice', soon + 3600))
      await store.set('kept', sessionRecordOf('kept', 'alice', soon + 3600))
      await store.delete('gone')
      expect(ids(await store.listUserSessions('alice'))).toEqual(['kept', 'short'])
      await passExpiry(clock, soon)
      expect(ids(await store.listUserSessions('alice'))).toEqual(['kept'])
      await expect(store.deleteUserSessions('alice')).resolves.toBe(1)
    })

    it('indexes hostile subjects and session ids apart', async () => {
      const store = await make()
      const expiresAt = secondsFromNow(clock, 3600)
      for (const key of HOSTILE_KEYS) await store.set(`s-${key}`, sessionRecordOf(`s-${key}`, key, expiresAt))
      for (const key of HOSTILE_KEYS) {
        expect(ids(await store.listUserSessions(key)), key).toEqual([`s-${key}`])
      }
      await expect(store.deleteUserSessions('a\uD800')).resolves.toBe(1)
      expect(ids(await store.listUserSessions('a\uDC00'))).toEqual(['s-a\uDC00'])
    })
  })
}

/** Runs the `listSessionsByIdpSid` contract (back-channel logout by `sid`) against fresh stores from `make`. */
export function sessionIdpSidContract(
  name: string,
  make: () => Promise<IdpSidSessionStoreLike>,
  clock: ContractClock,
): void {
  const ids = (sessions: SessionLike[]) => sessions.map((session) => session.id).sort()
  const withSid = (id: string, sub: string, idpSid: string | undefined, expiresAt: number): SessionLike => ({
    ...sessionRecordOf(id, sub, expiresAt),
    ...(idpSid === undefined ? {} : { idpSid }),
  })

  describe(`Session idpSid contract: ${name}`, () => {
    it("lists one provider session's sessions, across users, and no other", async () => {
      const store = await make()
      const expiresAt = secondsFromNow(clock, 3600)
      await store.set('a1', withSid('a1', 'alice', 'sid-1', expiresAt))
      await store.set('a2', withSid('a2', 'alice', 'sid-2', expiresAt))
      await store.set('b1', withSid('b1', 'bob', 'sid-1', expiresAt + 60))
      await store.set('c1', withSid('c1', 'carol', undefined, expiresAt))
      const listed = await store.listSessionsByIdpSid('sid-1')
      expect(ids(listed)).toEqual(['a1', 'b1'])
      // Whole sessions, as stored.
      expect(listed.find((session) => session.id === 'a1')).toEqual(
        withSid('a1', 'alice', 'sid-1', expiresAt),
      )
      expect(ids(await store.listSessionsByIdpSid('sid-2'))).toEqual(['a2'])
      await expect(store.listSessionsByIdpSid('sid-3')).resolves.toEqual([])
      // A session without idpSid is never found by one, not even by the empty string.
      await expect(store.listSessionsByIdpSid('')).resolves.toEqual([])
    })

    it('leaves deleted, signed-out and expired sessions out', async () => {
      const store = await make()
      const soon = secondsFromNow(clock, 1)
      await store.set('short', withSid('short', 'alice', 'sid', soon))
      await store.set('gone', withSid('gone', 'alice', 'sid', soon + 3600))
      await store.set('kept', withSid('kept', 'bob', 'sid', soon + 3600))
      await store.set('everywhere', withSid('everywhere', 'carol', 'sid', soon + 3600))
      await store.delete('gone')
      const signOutEverywhere = (store as Partial<IndexedSessionStoreLike>).deleteUserSessions
      if (signOutEverywhere !== undefined)
        await expect(signOutEverywhere.call(store, 'carol')).resolves.toBe(1)
      else await store.delete('everywhere')
      expect(ids(await store.listSessionsByIdpSid('sid'))).toEqual(['kept', 'short'])
      await passExpiry(clock, soon)
      expect(ids(await store.listSessionsByIdpSid('sid'))).toEqual(['kept'])
      // Still left out when read again (a store dropping stale entries must not drop live ones).
      expect(ids(await store.listSessionsByIdpSid('sid'))).toEqual(['kept'])
    })

    it('follows updates: an unchanged sid stays listed, a changed or removed one moves', async () => {
      const store = await make()
      const expiresAt = secondsFromNow(clock, 3600)
      const session = withSid('u1', 'alice', 'sid-old', expiresAt)
      await store.set('u1', session)
      if (store.update === undefined) throw new Error(`${name} has no update()`)
      const update = store.update.bind(store)
      await expect(update('u1', { ...session, tokens: { accessToken: 'refreshed' } })).resolves.toBe(true)
      await expect(store.listSessionsByIdpSid('sid-old')).resolves.toMatchObject([
        { id: 'u1', tokens: { accessToken: 'refreshed' } },
      ])
      await expect(update('u1', { ...session, idpSid: 'sid-new', expiresAt: expiresAt + 60 })).resolves.toBe(
        true,
      )
      await expect(store.listSessionsByIdpSid('sid-old')).resolves.toEqual([])
      expect(ids(await store.listSessionsByIdpSid('sid-new'))).toEqual(['u1'])
      const { idpSid: _, ...without } = session
      await store.set('u1', without)
      await expect(store.listSessionsByIdpSid('sid-new')).resolves.toEqual([])
      await expect(store.listSessionsByIdpSid('sid-old')).resolves.toEqual([])
    })

    it('keeps hostile sids apart', async () => {
      const store = await make()
      const expiresAt = secondsFromNow(clock, 3600)
      for (const key of HOSTILE_KEYS)
        await store.set(`s-${key}`, withSid(`s-${key}`, 'alice', key, expiresAt))
      for (const key of HOSTILE_KEYS) {
        expect(ids(await store.listSessionsByIdpSid(key)), key).toEqual([`s-${key}`])
      }
      await store.delete('s-a\uD800')
      await expect(store.listSessionsByIdpSid('a\uD800')).resolves.toEqual([])
      expect(ids(await store.listSessionsByIdpSid('a\uDC00'))).toEqual(['s-a\uDC00'])
    })
  })
}
