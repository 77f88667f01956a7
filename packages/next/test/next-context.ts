/**
 * Stands in for Next's request scope behind `next/headers` and `connection()` of `next/server`
 * (the tests mock those with this module). `writable` is what separates the contexts: Next lets
 * Server Actions and route handlers set cookies and throws when a Server Component tries.
 * `events` records the order of the request reads, and of clock reads once `watchClock` runs.
 */
import type { Jar } from './helpers.js'

interface Scope {
  headers: Headers
  writable: boolean
  /** Cookies written through `cookies().set()`, as `Set-Cookie`-like records. */
  written: { name: string; value: string; maxAge?: number }[]
  /** `headers`, `cookies`, `connection` and (with `watchClock`) `clock`, in the order they happened. */
  events: string[]
}

let scope: Scope | undefined
/** Thrown by `headers()` instead of answering, to simulate Next's own control-flow errors. */
let interrupt: unknown

export function enterRequest(jar: Jar, { writable }: { writable: boolean }): Scope {
  const headers = new Headers({ host: 'localhost:3004', 'x-forwarded-proto': 'http' })
  if (jar.cookies.size > 0) headers.set('cookie', jar.header())
  scope = { headers, writable, written: [], events: [] }
  interrupt = undefined
  return scope
}

export function interruptWith(error: unknown): void {
  interrupt = error
}

export function leaveRequest(): void {
  scope = undefined
}

function current(): Scope {
  if (scope === undefined) throw new Error('`cookies` was called outside a request scope')
  return scope
}

export async function headers(): Promise<Headers> {
  if (interrupt !== undefined) throw interrupt
  current().events.push('headers')
  return current().headers
}

/** Next's marker of "an actual request from here on": nothing to wait for outside a prerender. */
export async function connection(): Promise<void> {
  current().events.push('connection')
}

/**
 * Records every read of the clock or of randomness (what Next's cacheComponents refuses before
 * request data) as a `clock` event of the current scope, until the returned function restores them.
 */
export function watchClock(): () => void {
  const now = Date.now
  const random = Math.random
  Date.now = () => {
    scope?.events.push('clock')
    return now()
  }
  Math.random = () => {
    scope?.events.push('clock')
    return random()
  }
  return () => {
    Date.now = now
    Math.random = random
  }
}

export async function cookies() {
  const active = current()
  active.events.push('cookies')
  const parsed = () =>
    (active.headers.get('cookie') ?? '')
      .split(';')
      .map((part) => part.trim())
      .filter(Boolean)
      .map((part) => ({ name: part.slice(0, part.indexOf('=')), value: part.slice(part.indexOf('=') + 1) }))
  return {
    getAll: parsed,
    set(cookie: { name: string; value: string; maxAge?: number }) {
      if (!active.writable) {
        throw new Error('Cookies can only be modified in a Server Action or Route Handler.')
      }
      active.written.push(cookie)
    },
  }
}

/** The `Set-Cookie` lines a written cookie stands for, to feed back into a jar. */
export function writtenLines(written: Scope['written']): string[] {
  return written.map((cookie) => `${cookie.name}=${cookie.value}; Max-Age=${cookie.maxAge ?? ''}`)
}
