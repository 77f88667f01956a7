/**
 * The Node bridge (`nodeHandler` -> `toWebRequest` -> handler -> `sendWebResponse`) on raw HTTP/1.1
 * written to a socket: arbitrary header sets (repeated, odd Host, forwarded headers), methods and
 * targets, bodies with truthful or lying Content-Length, chunked bodies (well-formed or not), and
 * uploads cut short. Whatever arrives, the bridge answers a status below 500 (or Node's own parser
 * refuses the request), reports nothing as a server error, and keeps serving.
 */
import { createServer, type Server } from 'node:http'
import { type AddressInfo, connect } from 'node:net'
import { headerValue, RUNS } from '@org/test-kit/arbitraries'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAuth } from '../src/index.js'
import { nodeHandler } from '../src/node.js'
import { type CodeFlowServer, startCodeFlowServer } from './helpers/code-flow-server.js'
import { SECRET } from './helpers/web-login.js'

const BODY_LIMIT = 256
let server: Server
let port: number
let cf: CodeFlowServer
/** Errors the bridge answered with a generic 500: there must be none. */
const serverErrors: unknown[] = []

/** Reads the body (so limits and aborts are hit) and says what the core saw. */
async function echo(request: Request): Promise<Response> {
  const text = request.body === null ? '' : await request.text()
  return Response.json({ method: request.method, url: request.url, length: text.length })
}

beforeAll(async () => {
  cf = await startCodeFlowServer()
  const auth = createAuth({ client: cf.client(), basePath: '/auth', session: { secrets: SECRET } })
  const onError = (error: unknown) => serverErrors.push(error)
  const echoMiddleware = nodeHandler(echo, { bodyLimit: BODY_LIMIT, onError })
  const authMiddleware = nodeHandler((request) => auth.handler(request), { bodyLimit: BODY_LIMIT, onError })
  server = createServer((req, res) => {
    if (req.url?.startsWith('/auth/')) authMiddleware(req, res)
    else echoMiddleware(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as AddressInfo).port
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  await cf.close()
})

interface Exchange {
  /** The status line's code, or `undefined` when the connection closed without an answer. */
  status: number | undefined
}

/**
 * Writes `head` and `body` on a fresh connection (cutting the upload after `cutAfter` bytes if set),
 * then waits for the answer or the close; a request still waiting for body bytes that will never
 * come is ended from this side after a short while.
 */
function exchange(head: string, body: string, cutAfter: number | undefined): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    let received = ''
    const done = () => {
      clearTimeout(timer)
      socket.destroy()
      const match = /^HTTP\/1\.1 (\d{3})/.exec(received)
      resolve({ status: match ? Number(match[1]) : undefined })
    }
    const timer = setTimeout(done, 400)
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1')
      // One answer is all this test needs: stop at the end of its head.
      if (received.includes('\r\n\r\n')) setTimeout(done, 5)
    })
    socket.on('error', done)
    socket.on('close', done)
    socket.on('connect', () => {
      const payload = Buffer.from(`${head}\r\n\r\n${body}`, 'latin1')
      if (cutAfter === undefined) {
        socket.write(payload)
      } else {
        socket.write(payload.subarray(0, Buffer.byteLength(head, 'latin1') + 4 + cutAfter), () =>
          socket.destroy(),
        )
      }
    })
  })
}

const METHOD = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD') },
  fc.constantFrom('CONNECT', 'TRACE', 'TRACK', 'FOO'),
)
const TARGET = fc.constantFrom(
  '/',
  '/x?y=1',
  '/auth/login?returnTo=%2F%2Fevil',
  '/auth/callback?code=c&state=s',
  '/auth/session',
  '/auth/logout',
  'http://evil.example/x',
  'https://evil.example',
  '//evil.example/x',
  '/%00',
  '/a b',
)
const HEADER_NAME = fc.oneof(
  fc.constantFrom(
    'Host',
    'host',
    'Content-Type',
    'Cookie',
    'Authorization',
    'X-Forwarded-Host',
    'X-Forwarded-Proto',
    'Origin',
    'Sec-Fetch-Site',
    'Accept',
    'Content-Encoding',
    'Expect',
    'Connection',
  ),
  fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,12}$/),
)
const HOST_VALUE = fc.constantFrom(
  'example.com',
  'a b',
  'evil.example/x',
  '[::1]:80',
  'x@y',
  '127.0.0.1:99999',
  '',
  'a,b',
)

const framing = fc.oneof(
  fc.constant({ kind: 'exact' as const }),
  fc.constant({ kind: 'none' as const }),
  fc.integer({ min: 1, max: 50 }).map((by) => ({ kind: 'longer' as const, by })),
  fc.integer({ min: 1, max: 50 }).map((by) => ({ kind: 'shorter' as const, by })),
  fc.constantFrom('abc', '-1', '1, 2', '0x10', '1e3', ' 5').map((value) => ({ kind: 'raw' as const, value })),
  fc.constant({ kind: 'twice' as const }),
  fc.constant({ kind: 'chunked' as const }),
  fc.constant({ kind: 'bad-chunked' as const }),
  fc.constant({ kind: 'both' as const }),
)

const request = fc.record({
  method: METHOD,
  target: TARGET,
  host: fc.oneof({ weight: 4, arbitrary: fc.constant('app.example') }, HOST_VALUE, fc.constant(undefined)),
  headers: fc.array(fc.tuple(HEADER_NAME, headerValue), { maxLength: 6 }),
  body: fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.integer({ min: BODY_LIMIT - 2, max: BODY_LIMIT * 3 }).map((n) => 'b'.repeat(n)),
    fc.constant('code=c&state=s'),
  ),
  framing,
  cut: fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, fc.nat(60)),
})

type RawRequest = typeof request extends fc.Arbitrary<infer T> ? T : never

function render(r: RawRequest): { head: string; body: string } {
  const lines = [`${r.method} ${r.target} HTTP/1.1`]
  if (r.host !== undefined) lines.push(`Host: ${r.host}`)
  for (const [name, value] of r.headers) lines.push(`${name}: ${value}`)
  const length = Buffer.byteLength(r.body, 'latin1')
  let body = r.body
  switch (r.framing.kind) {
    case 'exact':
      lines.push(`Content-Length: ${length}`)
      break
    case 'longer':
      lines.push(`Content-Length: ${length + r.framing.by}`)
      break
    case 'shorter':
      // The rest is read as a next, pipelined request: Node's parser answers that one.
      lines.push(`Content-Length: ${Math.max(0, length - r.framing.by)}`)
      break
    case 'raw':
      lines.push(`Content-Length: ${r.framing.value}`)
      break
    case 'twice':
      lines.push(`Content-Length: ${length}`, `Content-Length: ${length + 1}`)
      break
    case 'chunked':
      lines.push('Transfer-Encoding: chunked')
      body = `${length.toString(16)}\r\n${r.body}\r\n0\r\n\r\n`
      break
    case 'bad-chunked':
      lines.push('Transfer-Encoding: chunked')
      body = `zz\r\n${r.body}\r\n`
      break
    case 'both':
      lines.push('Transfer-Encoding: chunked', `Content-Length: ${length}`)
      body = `${length.toString(16)}\r\n${r.body}\r\n0\r\n\r\n`
      break
    case 'none':
      body = ''
      break
  }
  return { head: lines.join('\r\n'), body }
}

describe('nodeHandler on raw HTTP/1.1', () => {
  it('never answers 5xx nor reports a server error, whatever the request', async () => {
    await fc.assert(
      fc.asyncProperty(request, async (raw) => {
        const { head, body } = render(raw)
        const before = serverErrors.length
        const { status } = await exchange(head, body, raw.cut)
        if (status !== undefined) expect(status).toBeLessThan(500)
        expect(serverErrors.slice(before)).toEqual([])
      }),
      { numRuns: RUNS.io * 2 },
    )
  })

  it('keeps serving: a plain request after each hostile one is answered 200', async () => {
    await fc.assert(
      fc.asyncProperty(request, async (raw) => {
        const { head, body } = render(raw)
        await exchange(head, body, raw.cut)
        const { status } = await exchange(
          'POST /ok HTTP/1.1\r\nHost: a\r\nContent-Length: 2',
          'hi',
          undefined,
        )
        expect(status).toBe(200)
      }),
      { numRuns: RUNS.slow },
    )
  })
})
