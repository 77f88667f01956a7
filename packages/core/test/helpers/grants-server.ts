import type { IncomingHttpHeaders, ServerResponse } from 'node:http'
import { vi } from 'vitest'
import { OAuthClient } from '../../src/index.js'
import { type FaultServer, readBody, startFaultServer } from './fault-server.js'

/** One request a scripted endpoint received. */
export interface RecordedRequest {
  /** `Date.now()` when it arrived: the faked clock when a test fakes `Date`. */
  at: number
  method: string
  headers: IncomingHttpHeaders
  body: string
  /** The form body's parameters (empty for JSON bodies). */
  form: URLSearchParams
}

/** What a scripted endpoint answers: a JSON body with a status, or `'hang'` (never answers). */
export type ScriptedAnswer = { status?: number; body: unknown } | 'hang'

export interface ScriptedServer extends FaultServer {
  /**
   * Serves `path` with the given answers in order (the last one repeats), recording every request.
   * Returns the list the requests are appended to.
   */
  script(path: string, answers: readonly ScriptedAnswer[]): RecordedRequest[]
}

function answer(res: ServerResponse, scripted: ScriptedAnswer): void {
  if (scripted === 'hang') return
  res
    .writeHead(scripted.status ?? 200, { 'content-type': 'application/json' })
    .end(JSON.stringify(scripted.body))
}

/** A fault server whose endpoints answer a script and record what clients sent. */
export async function startScriptedServer(): Promise<ScriptedServer> {
  const server = await startFaultServer()
  return Object.assign(server, {
    script(path: string, answers: readonly ScriptedAnswer[]) {
      const requests: RecordedRequest[] = []
      server.route(path, (req, res) => {
        const at = Date.now()
        void readBody(req).then((body) => {
          const isForm = (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')
          const form = new URLSearchParams(isForm ? body : '')
          requests.push({ at, method: req.method ?? '', headers: req.headers, body, form })
          const scripted = answers[Math.min(requests.length, answers.length) - 1]
          if (scripted !== undefined) answer(res, scripted)
        })
      })
      return requests
    },
  })
}

/** A successful, opaque token response. */
export function tokenBody(accessToken: string, extra: Record<string, unknown> = {}) {
  return { body: { access_token: accessToken, token_type: 'Bearer', expires_in: 300, ...extra } }
}

/** An RFC 6749 §5.2 error answer. */
export function errorBody(error: string, status = 400) {
  return { status, body: { error } }
}

/** The requests a client made through its `fetch` option, as the client sees them. */
export interface FetchLog {
  /** Pass as the client's `fetch` option. */
  fetch: typeof fetch
  /** Each logged call: URL and `Date.now()` (the faked clock) when the client called `fetch`. */
  calls: { url: string; at: number }[]
  /** How many logged calls have their response fully read. */
  settled: number
}

/**
 * A `fetch` that logs the calls whose URL `logged` selects and hands the client a response already
 * read into memory, so what the client does next takes no real I/O: one `setImmediate` turn later
 * it is done with it (asleep on its next timer, or finished).
 */
export function fetchLog(logged: (url: string) => boolean = () => true): FetchLog {
  const log: FetchLog = {
    calls: [],
    settled: 0,
    fetch: async (input, init) => {
      const url = input instanceof Request ? input.url : String(input)
      if (!logged(url)) return fetch(input, init)
      log.calls.push({ url, at: Date.now() })
      try {
        const response = await fetch(input, init)
        const body = await response.arrayBuffer()
        const { status, statusText, headers } = response
        return new Response(body, { status, statusText, headers })
      } finally {
        log.settled++
      }
    },
  }
  return log
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve))

/** Waits (real `setImmediate` turns) until `count` logged calls have been made and answered. */
export async function untilAnswered(log: FetchLog, count: number): Promise<void> {
  for (let i = 0; i < 20_000; i++) {
    if (log.calls.length > count) throw new Error(`expected ${count} requests, got ${log.calls.length}`)
    if (log.calls.length === count && log.settled === count) {
      await turn()
      return
    }
    await turn()
  }
  throw new Error(`expected ${count} answered requests, got ${log.calls.length}`)
}

/**
 * With faked timers: once the client is asleep after `count` answered calls, checks that it sleeps
 * exactly `ms`: no call 1 ms before, then wakes it.
 */
export async function expectSleep(log: FetchLog, count: number, ms: number): Promise<void> {
  await untilAnswered(log, count)
  await vi.advanceTimersByTimeAsync(ms - 1)
  await turn()
  if (log.calls.length !== count) throw new Error(`woke up before ${ms} ms (after ${count} requests)`)
  await vi.advanceTimersByTimeAsync(1)
}

/** Waits (real `setImmediate` turns) until the server has recorded `count` requests. */
export async function untilRequests(requests: readonly RecordedRequest[], count: number): Promise<void> {
  for (let i = 0; i < 20_000; i++) {
    if (requests.length >= count) return
    await turn()
  }
  throw new Error(`expected ${count} requests, got ${requests.length}`)
}

/** A well-formed device authorization response (RFC 8628 §3.2). */
export const DEVICE = {
  device_code: 'dc-1',
  user_code: 'WDJB-MJHT',
  verification_uri: 'https://idp.example/device',
  expires_in: 600,
  interval: 5,
}

/**
 * A client (`tv` / `tv-secret`, client_secret_basic) of a scripted server whose device endpoint
 * answers `device` and token endpoint `token`; token requests are logged. The server is pushed to
 * `servers` for the test to close.
 */
export async function scriptedDeviceClient(
  servers: ScriptedServer[],
  device: Record<string, unknown>,
  token: readonly ScriptedAnswer[] = [],
) {
  const server = await startScriptedServer()
  servers.push(server)
  const deviceRequests = server.script('/device', [{ body: device }])
  const tokenRequests = server.script('/token', token)
  const log = fetchLog((url) => url.endsWith('/token'))
  const client = new OAuthClient({
    metadata: {
      issuer: server.base,
      token_endpoint: server.url('/token'),
      device_authorization_endpoint: server.url('/device'),
    },
    clientId: 'tv',
    clientSecret: 'tv-secret',
    fetch: log.fetch,
  })
  return { server, client, deviceRequests, tokenRequests, log }
}
