/**
 * A `DelegationStore` behind a slow network (fault injection): every call waits `latency` ms on
 * the way to the store and on the way back, as a Redis or PostgreSQL round trip does. While held,
 * answers also wait at the store until released, so a test can line up concurrent requests at
 * the store in a known order (the store has already acted on each; only the answers wait) instead
 * of hoping the scheduler does.
 */
import type { DelegationStore } from '../../src/index.js'

export interface SlowStore {
  store: DelegationStore
  /** From now on, answers wait at the store until `release()`. */
  hold(): void
  /** Resolves once `count` calls are waiting in the current hold. */
  waiting(count: number): Promise<void>
  release(): void
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

export function slowStore(inner: DelegationStore, latency = 3): SlowStore {
  let gate: { promise: Promise<void>; release: () => void } | undefined
  let held = 0
  const watchers: { count: number; resolve: () => void }[] = []
  const notify = () => {
    for (const watcher of watchers.splice(0)) {
      if (held >= watcher.count) watcher.resolve()
      else watchers.push(watcher)
    }
  }
  const call = async <T>(operation: () => Promise<T>): Promise<T> => {
    await sleep(latency)
    const result = await operation()
    const current = gate
    if (current !== undefined) {
      held++
      notify()
      await current.promise
    }
    await sleep(latency)
    return result
  }
  return {
    store: {
      getCredentials: (spId, userId) => call(() => inner.getCredentials(spId, userId)),
      putCredentials: (spId, userId, record) => call(() => inner.putCredentials(spId, userId, record)),
      putSession: (session) => call(() => inner.putSession(session)),
      recordAttempt: (spId, id, userId) => call(() => inner.recordAttempt(spId, id, userId)),
      takeSession: (spId, id) => call(() => inner.takeSession(spId, id)),
    },
    hold() {
      let release = () => {}
      const promise = new Promise<void>((resolve) => {
        release = resolve
      })
      gate = { promise, release }
      held = 0
    },
    waiting(count) {
      return new Promise<void>((resolve) => {
        watchers.push({ count, resolve })
        notify()
      })
    },
    release() {
      gate?.release()
      gate = undefined
    },
  }
}
