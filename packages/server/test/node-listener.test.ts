/**
 * What only the Node listener does (`createNodeTokenServer`): headers read from `rawHeaders` with
 * Web `Headers` semantics, request-targets parsed like a URL, the body read from the
 * `IncomingMessage` within its bound, `clientAddress` given the Node request, and no hang or crash
 * on a body read before it or a client that leaves mid-body. The endpoints' behaviour through it
 * is token-server.test.ts, run once per transport.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { type AddressInfo, connect } from 'node:net'
import { ConfigurationError } from '@org/auth-core'
import { afterEach, describe, expect, it } from 'vitest'
import {
  createClientRegistry,
  createMemoryClientStore,
  generateSigningKey,
  staticSigningKeys,
} from '../src/index.js'
import {
  createNodeTokenServer,
  type NodeTokenServerListener,
  type NodeTokenServerOptions,
} from '../src/node.js'

const ISSUER = 'https://auth.example.com/m2m'
const API = 'https://api.example.com/'
const FORM = 'grant_type=client_credentials'

let server: Server | undefined
afterEach(async () => {
  const running = server
  server = undefined
  if (running === undefined) return
  running.closeAllConnections()
  await new Promise((resolve) => running.close(resolve))
})

async function start(
  options: Partial<NodeTokenServerOptions> = {},
  wrap?: (listener: NodeTokenServerListener) => (req: IncomingMessage, res: ServerResponse) => void,
) {
  const registry = createClientRegistry({ store: createMemoryClientStore() })
  const created = await registry.create({
    name: 'worker',
    clientType: 'confidential',
    grantTypes: ['client_credentials'],
    scopes: ['read'],
    audiences: [API],
  })
  const listener = createNodeTokenServer({
    issuer: ISSUER,
    clients: registry,
    keys: staticSigningKeys([await generateSigningKey('ES256')]),
    ...options,
  })
  server = createServer(wrap ? wrap(listener) : listener)
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  const basic = `Basic ${btoa(`${created.clientId}:${created.clientSecret}`)}`
  return { port, basic, clientId: created.clientId }
}

/** One request with headers exactly as listed (repeats and case kept), over a raw socket. */
async function send(port: number, method: string, path: string, headers: Array<[string, string]>, body = '') {
  const lines = headers.map(([name, value]) => `${name}: ${value}\r\n`).join('')
  const length = method === 'GET' || method === 'HEAD' ? '' : `Content-Length: ${Buffer.byteLength(body)}\r\n`
  const raw = await rawExchange(
    port,
    `${method} ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${lines}${length}\r\n${body}`,
  )
  const split = raw.indexOf('\r\n\r\n')
  const [statusLine = '', ...headerLines] = raw.slice(0, split).split('\r\n')
  const answerHeaders: Record<string, string> = {}
  for (const line of headerLines) {
    const colon = line.indexOf(':')
    answerHeaders[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim()
  }
  return { status: Number(statusLine.split(' ')[1]), headers: answerHeaders, body: raw.slice(split + 4) }
}

/** The raw bytes of an HTTP/1.1 exchange: for request-targets and bodies a client library would fix. */
function rawExchange(port: number, text: string, endWrite = true): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => (endWrite ? socket.end(text) : socket.write(text)))
    let answer = ''
    socket.setEncoding('utf8')
    socket.on('data', (chunk) => {
      answer += chunk
    })
    socket.on('end', () => resolve(answer))
    socket.on('close', () => resolve(answer))
    socket.on('error', reject)
  })
}

const form: Array<[string, string]> = [['content-type', 'application/x-www-form-urlencoded']]

describe('createNodeTokenServer', () => {
  it('reads header names in any case, and refuses a repeated Authorization like the Web handler', async () => {
    const { port, basic } = await start()
    const mixed = await send(
      port,
      'POST',
      '/m2m/token',
      [
        ['Content-Type', 'Application/X-WWW-Form-Urlencoded; charset=UTF-8'],
        ['AUTHORIZATION', basic],
      ],
      FORM,
    )
    expect(mixed.status).toBe(200)
    expect(JSON.parse(mixed.body)).toMatchObject({ token_type: 'Bearer', scope: 'read' })
    expect(mixed.headers['cache-control']).toBe('no-store')
    expect(Number(mixed.headers['content-length'])).toBe(Buffer.byteLength(mixed.body))

    // Node's own `req.headers` would keep only the first Authorization; joined, it is no Basic header.
    const twice = await send(
      port,
      'POST',
      '/m2m/token',
      [...form, ['authorization', basic], ['authorization', basic]],
      FORM,
    )
    expect(twice.status).toBe(401)
    expect(JSON.parse(twice.body)).toEqual({
      error: 'invalid_client',
      error_description: 'Client authentication failed',
    })
    const twoTypes = await send(
      port,
      'POST',
      '/m2m/token',
      [...form, ['content-type', 'text/plain'], ['authorization', basic]],
      FORM,
    )
    expect(twoTypes.status).toBe(400)
  })

  it('routes a path only in its parsed form: queries ignored, dot segments and backslashes refused', async () => {
    const { port, basic } = await start()
    const answer = await send(port, 'POST', '/m2m/token?x=1', [...form, ['authorization', basic]], FORM)
    expect(answer.status).toBe(200)
    // A URL parser would resolve these to /m2m/token; a proxy or guard in front would not.
    const rewritten = [
      '/m2m/./token',
      '/m2m/x/../token',
      '/x/%2e%2e/m2m/token',
      '/m2m/.%2E/m2m/token',
      '/m2m\\token',
    ]
    for (const path of [
      ...rewritten,
      '/m2m/%74oken',
      '/m2m/token/..',
      '/token',
      '//m2m/token',
      '/m2m/token/',
    ]) {
      const answer = await send(port, 'POST', path, [...form, ['authorization', basic]], FORM)
      expect(answer.status, path).toBe(404)
      expect(JSON.parse(answer.body).error).toBe('not_found')
    }
    const jwks = await send(port, 'GET', '/m2m/jwks.json', [])
    expect(jwks.status).toBe(200)
    expect(JSON.parse(jwks.body).keys).toHaveLength(1)
    const head = await send(port, 'HEAD', '/m2m/jwks.json', [])
    expect(head.status).toBe(200)
    expect(head.body).toBe('')
    const metadata = await send(port, 'GET', '/.well-known/oauth-authorization-server/m2m', [])
    expect(JSON.parse(metadata.body).token_endpoint).toBe(`${ISSUER}/token`)
    // An absolute-form request-target (RFC 9112 §3.2.2) is routed by its path too.
    const absolute = await rawExchange(
      port,
      `GET http://auth.example.com/m2m/jwks.json HTTP/1.1\r\nHost: auth.example.com\r\nConnection: close\r\n\r\n`,
    )
    expect(absolute).toMatch(/^HTTP\/1\.1 200 /)
  })

  it('answers 413 on a declared or streamed body past maxBodyBytes, and closes the connection', async () => {
    const { port, basic } = await start({ maxBodyBytes: 64 })
    // Declared: answered before any byte of the body is sent (the socket's write side stays open).
    const declared = await rawExchange(
      port,
      `POST /m2m/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\n`,
      false,
    )
    expect(declared).toMatch(/^HTTP\/1\.1 413 /)
    expect(declared).toMatch(/\r\nconnection: close\r\n/i)
    expect(declared).toContain('"error":"invalid_request"')
    // Streamed in chunks without a length.
    const chunk = (text: string) => `${text.length.toString(16)}\r\n${text}\r\n`
    const streamed = await rawExchange(
      port,
      `POST /m2m/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nAuthorization: ${basic}\r\nTransfer-Encoding: chunked\r\n\r\n${chunk(FORM)}${chunk(`&pad=${'a'.repeat(80)}`)}0\r\n\r\n`,
    )
    expect(streamed).toMatch(/^HTTP\/1\.1 413 /)
    expect(streamed).not.toContain('access_token')
    // Within the bound, chunks are joined.
    const joined = await rawExchange(
      port,
      `POST /m2m/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nAuthorization: ${basic}\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n${chunk('grant_type=client')}${chunk('_credentials')}0\r\n\r\n`,
    )
    expect(joined).toMatch(/^HTTP\/1\.1 200 /)
  })

  it('survives a client that leaves mid-body, and answers the next request', async () => {
    const { port, basic } = await start()
    await new Promise<void>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(
          `POST /m2m/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 50\r\n\r\ngrant_`,
        )
        setTimeout(() => socket.destroy(), 50)
      })
      socket.on('close', () => resolve())
    })
    const next = await send(port, 'POST', '/m2m/token', [...form, ['authorization', basic]], FORM)
    expect(next.status).toBe(200)
  })

  it('answers a 500 without detail, not a hang, when a body parser read the body first', async () => {
    const { port, basic } = await start({}, (listener) => (req, res) => {
      req.on('data', () => {})
      req.on('end', () => listener(req, res))
    })
    const answer = await send(port, 'POST', '/m2m/token', [...form, ['authorization', basic]], FORM)
    expect(answer.status).toBe(500)
    expect(JSON.parse(answer.body)).toEqual({
      error: 'server_error',
      error_description: 'The server could not answer',
    })
  })

  it('gives clientAddress the Node request, for the per-address throttle', async () => {
    const seen: string[] = []
    const { port } = await start({
      clientAddress: (req) => {
        seen.push(req.socket.remoteAddress ?? '')
        return req.socket.remoteAddress
      },
      limits: { perAddress: 2, perClient: 100 },
    })
    const wrong = `Basic ${btoa('oac_nobody:wrong')}`
    const statuses: number[] = []
    for (let i = 0; i < 3; i++) {
      statuses.push(
        (await send(port, 'POST', '/m2m/token', [...form, ['authorization', wrong]], FORM)).status,
      )
    }
    expect(statuses).toEqual([401, 401, 429])
    expect(seen.every((address) => address === '127.0.0.1')).toBe(true)
  })

  it('as a middleware given next, passes on the paths it does not serve and answers its own', async () => {
    const { port, basic } = await start(
      {},
      (listener) => (req, res) =>
        listener(req, res, () =>
          res.writeHead(299, { 'content-type': 'text/plain', 'content-length': '10' }).end('next route'),
        ),
    )
    // Paths a URL parser would rewrite into one of its own go on too: the app's routing (and any
    // guard in front of the token server) sees the raw path, so that is the path that counts.
    for (const path of [
      '/',
      '/api/things',
      '/m2m/token/x',
      '/m2m',
      '/public/%2e%2e/m2m/introspect',
      '/m2m\\revoke',
    ]) {
      const other = await send(port, 'POST', path, [...form, ['authorization', basic]], 'token=x')
      expect(other, path).toMatchObject({ status: 299, body: 'next route' })
    }
    const token = await send(port, 'POST', '/m2m/token?x=1', [...form, ['authorization', basic]], FORM)
    expect(token.status).toBe(200)
    // Its own paths are answered whatever the method: a GET at the token endpoint is its 405.
    const wrongMethod = await send(port, 'GET', '/m2m/token', [])
    expect(wrongMethod.status).toBe(405)
    expect(wrongMethod.headers.allow).toBe('POST')
  })

  it('ends the response when something in front already sent the headers', async () => {
    const { port, basic } = await start({}, (listener) => (req, res) => {
      res.writeHead(202, { 'content-length': '0' })
      listener(req, res)
    })
    const answer = await send(port, 'POST', '/m2m/token', [...form, ['authorization', basic]], FORM)
    expect(answer).toMatchObject({ status: 202, body: '' })
  })

  it('refuses a clientAddress that is not a function at creation', async () => {
    const registry = createClientRegistry({ store: createMemoryClientStore() })
    const keys = staticSigningKeys([await generateSigningKey('ES256')])
    expect(() =>
      createNodeTokenServer({
        issuer: ISSUER,
        clients: registry,
        keys,
        clientAddress: 'x' as unknown as NodeTokenServerOptions['clientAddress'],
      }),
    ).toThrow(ConfigurationError)
  })
})
