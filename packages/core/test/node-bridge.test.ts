import { once } from 'node:events'
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type RequestListener,
  type RequestOptions,
  type Server,
  type ServerResponse,
} from 'node:http'
import { type AddressInfo, connect } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import express, {
  type Request as ExpressRequest,
  type Response as ExpressResponse,
  type NextFunction,
} from 'express'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { isAuthError } from '../src/errors.js'
import { encodeParsedBody } from '../src/node/request-body.js'
import {
  nodeHandler,
  RequestTooLargeError,
  ResponseAlreadySentError,
  sendWebResponse,
  sessionRequestBuilder,
  toWebRequest,
} from '../src/node.js'

const servers: Server[] = []

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
})

async function listen(listener: RequestListener): Promise<{ port: number; base: string }> {
  const server = createServer(listener)
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { port, base: `http://127.0.0.1:${port}` }
}

function deferred<T>() {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((done) => {
    resolve = done
  })
  return { promise, resolve }
}

/** Echoes what the core would see: method, URL, headers and body text. */
async function echo(request: Request): Promise<Response> {
  const body = request.method === 'GET' || request.method === 'HEAD' ? null : await request.text()
  return Response.json({
    method: request.method,
    url: request.url,
    headers: Object.fromEntries(request.headers),
    body,
  })
}

interface Answer {
  status: number
  headers: IncomingHttpHeaders
  rawHeaders: string[]
  body: string
}

function send(options: RequestOptions, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', ...options }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        text += chunk
      })
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          rawHeaders: res.rawHeaders,
          body: text,
        }),
      )
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}

/** Writes raw bytes (hostile request lines and headers no client library sends) and reads to close. */
function sendRaw(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let answer = ''
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      answer += chunk
    })
    socket.on('close', () => resolve(answer))
    socket.on('error', reject)
    socket.write(text)
  })
}

/** The `x-url` header of each response in a raw answer. */
function urlsIn(answer: string): string[] {
  return [...answer.matchAll(/^x-url: (.*)\r$/gim)].map((match) => match[1] as string)
}

const reportUrl = nodeHandler(async (request) => new Response(null, { headers: { 'x-url': request.url } }))

describe('toWebRequest through nodeHandler', () => {
  it('turns a GET with a query into a Request with the same method, URL and headers', async () => {
    const { port, base } = await listen(nodeHandler(echo))
    const answer = await send({
      port,
      path: '/auth/login?returnTo=%2Fhome&x=1',
      headers: { 'x-test': 'yes' },
    })
    expect(answer.status).toBe(200)
    const seen = JSON.parse(answer.body)
    expect(seen.method).toBe('GET')
    expect(seen.url).toBe(`${base}/auth/login?returnTo=%2Fhome&x=1`)
    expect(new URL(seen.url).searchParams.get('returnTo')).toBe('/home')
    expect(seen.headers['x-test']).toBe('yes')
    expect(seen.body).toBeNull()
  })

  it('keeps repeated headers: joined with ", ", and Cookie headers joined with "; "', async () => {
    const { port } = await listen(
      nodeHandler(
        async (request) =>
          new Response(null, { headers: { 'x-seen': JSON.stringify(Object.fromEntries(request.headers)) } }),
      ),
    )
    const answer = await sendRaw(
      port,
      'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Multi: a\r\nX-Multi: b\r\nAuthorization: Bearer one\r\n' +
        'Authorization: Bearer two\r\nCookie: a=1\r\nCookie: b=2\r\nConnection: close\r\n\r\n',
    )
    const seen = JSON.parse(/^x-seen: (.*)\r$/im.exec(answer)?.[1] ?? '{}')
    expect(seen['x-multi']).toBe('a, b')
    expect(seen.cookie).toBe('a=1; b=2')
    // Node's req.headers keeps only the first Authorization; the Request shows both (ambiguous, refusable).
    expect(seen.authorization).toBe('Bearer one, Bearer two')
  })

  it('round-trips a form body', async () => {
    let fields: [string, string][] = []
    const { base } = await listen(
      nodeHandler(async (request) => {
        fields = [...(await request.formData())].map(([name, value]) => [name, String(value)])
        return new Response('ok')
      }),
    )
    const form = new URLSearchParams([
      ['code', 'abc'],
      ['state', 'x y&z'],
      ['scope', 'openid'],
      ['scope', 'email'],
    ])
    const response = await fetch(`${base}/callback`, { method: 'POST', body: form })
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('ok')
    expect(fields).toEqual([
      ['code', 'abc'],
      ['state', 'x y&z'],
      ['scope', 'openid'],
      ['scope', 'email'],
    ])
  })

  it('streams a JSON body', async () => {
    const { base } = await listen(nodeHandler(async (request) => Response.json(await request.json())))
    const payload = { user: 'ada', nested: { list: [1, 2, 3] }, text: 'é ü ✓' }
    const response = await fetch(`${base}/api`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    })
    expect(await response.json()).toEqual(payload)
  })

  it('refuses a Content-Length over the limit with 413 before calling the handler', async () => {
    const handler = vi.fn(echo)
    const { port } = await listen(nodeHandler(handler))
    const answer = await new Promise<Answer>((resolve, reject) => {
      // Only the headers are sent: the answer must come without the body being read.
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/',
          headers: { 'content-length': 2 * 1024 * 1024 },
        },
        (res) => {
          let body = ''
          res.setEncoding('utf8')
          res.on('data', (chunk: string) => {
            body += chunk
          })
          res.on('end', () => {
            req.destroy()
            resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body })
          })
        },
      )
      req.on('error', reject)
      req.flushHeaders()
    })
    expect(answer.status).toBe(413)
    expect(JSON.parse(answer.body)).toEqual({
      error: 'invalid_request',
      error_description: 'The request body exceeds 1048576 bytes',
    })
    expect(answer.headers.connection).toBe('close')
    expect(handler).not.toHaveBeenCalled()
  })

  it('fails a chunked body that grows past the limit while streaming, answered 413', async () => {
    let streamError: unknown
    const { port } = await listen(
      nodeHandler(
        async (request) => {
          try {
            await request.arrayBuffer()
          } catch (error) {
            streamError = error
            throw error
          }
          return new Response('unreachable')
        },
        { bodyLimit: 64 * 1024 },
      ),
    )
    const answer = await new Promise<Answer>((resolve, reject) => {
      let answered = false
      const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/upload' }, (res) => {
        answered = true
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          body += chunk
        })
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body }),
        )
      })
      // The server may close while this client still writes; only a missing answer is a failure.
      req.on('error', (error) => !answered && reject(error))
      const chunk = Buffer.alloc(16 * 1024, 1)
      let written = 0
      const writeMore = () => {
        if (answered || written >= 4 * 1024 * 1024) return void req.end()
        written += chunk.byteLength
        req.write(chunk, writeMore)
      }
      writeMore()
    })
    expect(answer.status).toBe(413)
    expect(JSON.parse(answer.body).error).toBe('invalid_request')
    expect(streamError).toBeInstanceOf(RequestTooLargeError)
    expect(isAuthError(streamError) && streamError.code).toBe('ERR_BODY_TOO_LARGE')
  })

  it('accepts a chunked body up to the limit', async () => {
    const { port } = await listen(nodeHandler(echo, { bodyLimit: 10 }))
    const answer = await new Promise<Answer>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/' }, (res) => {
        let body = ''
        res.on('data', (chunk: Buffer) => {
          body += chunk
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: {}, rawHeaders: [], body }))
      })
      req.on('error', reject)
      req.write('01234')
      req.end('56789')
    })
    expect(answer.status).toBe(200)
    expect(JSON.parse(answer.body).body).toBe('0123456789')
  })

  it('leaves an unread body to Node, so the kept-alive connection serves the next request', async () => {
    const { port } = await listen(reportUrl)
    const answer = await sendRaw(
      port,
      'POST /first HTTP/1.1\r\nHost: a.test\r\nContent-Length: 10\r\n\r\n0123456789' +
        'GET /second HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n',
    )
    expect(urlsIn(answer)).toEqual(['http://a.test/first', 'http://a.test/second'])
  })

  it('answers 405 to TRACE, which Fetch cannot represent', async () => {
    const { port } = await listen(reportUrl)
    const answer = await sendRaw(port, 'TRACE / HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n')
    expect(answer).toMatch(/^HTTP\/1\.1 405 /)
    expect(answer).toContain('"error":"invalid_request"')
  })
})

describe('the request URL', () => {
  const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app.example.com' }

  it('ignores X-Forwarded-* unless trustProxy is on', async () => {
    const { port, base } = await listen(reportUrl)
    const answer = await send({ port, path: '/p?q=1', headers: forwarded })
    expect(answer.headers['x-url']).toBe(`${base}/p?q=1`)
  })

  it('with trustProxy, takes the first X-Forwarded-Proto and X-Forwarded-Host values', async () => {
    const { port } = await listen(
      nodeHandler(async (r) => new Response(null, { headers: { 'x-url': r.url } }), { trustProxy: true }),
    )
    const first = await send({ port, path: '/p', headers: forwarded })
    expect(first.headers['x-url']).toBe('https://app.example.com/p')
    const chained = await send({
      port,
      path: '/p',
      headers: {
        'x-forwarded-proto': 'https, http',
        'x-forwarded-host': 'app.example.com:8443, proxy.internal',
      },
    })
    expect(chained.headers['x-url']).toBe('https://app.example.com:8443/p')
  })

  it('with trustProxy, falls back to Host for a hostile X-Forwarded-Host or an unknown protocol', async () => {
    const { port, base } = await listen(
      nodeHandler(async (r) => new Response(null, { headers: { 'x-url': r.url } }), { trustProxy: true }),
    )
    const answer = await send({
      port,
      path: '/p',
      headers: { 'x-forwarded-proto': 'javascript', 'x-forwarded-host': 'evil.example/@x' },
    })
    expect(answer.headers['x-url']).toBe(`${base}/p`)
  })

  it('uses the origin option over Host and X-Forwarded-*', async () => {
    const { port } = await listen(
      nodeHandler(async (r) => new Response(null, { headers: { 'x-url': r.url } }), {
        origin: 'https://app.example.com',
        trustProxy: true,
      }),
    )
    const answer = await send({
      port,
      path: '/auth/callback?code=1',
      headers: { ...forwarded, host: 'evil.example' },
    })
    expect(answer.headers['x-url']).toBe('https://app.example.com/auth/callback?code=1')
  })

  it.each([
    ['a path', 'evil.example/x'],
    ['credentials', 'user@evil.example'],
    ['a space', 'a b'],
    ['a backslash', 'evil.example\\x'],
    ['a port out of range', 'a.test:99999'],
    ['an unclosed IPv6 literal', '[::1'],
    ['an empty value', ''],
  ])('refuses a Host with %s (400, RFC 9112 §3.2), never serving it as localhost', async (_case, host) => {
    const { port } = await listen(reportUrl)
    const answer = await sendRaw(port, `GET /p HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)
    expect(urlsIn(answer)).toEqual([])
    expect(answer).toMatch(/^HTTP\/1\.1 400 /)
  })

  it('refuses an HTTP/1.1 request without Host, and takes an HTTP/1.0 one as localhost', async () => {
    const { port } = await listen(reportUrl)
    const missing = await sendRaw(port, 'GET /p HTTP/1.1\r\nConnection: close\r\n\r\n')
    expect(missing).toMatch(/^HTTP\/1\.1 400 /)
    const old = await sendRaw(port, 'GET /p HTTP/1.0\r\n\r\n')
    expect(urlsIn(old)).toEqual(['http://localhost/p'])
  })

  it('refuses two Host headers as ambiguous, and accepts an IPv6 literal with a port', async () => {
    const { port } = await listen(reportUrl)
    const two = await sendRaw(
      port,
      'GET /p HTTP/1.1\r\nHost: a.test\r\nHost: evil.example\r\nConnection: close\r\n\r\n',
    )
    expect(urlsIn(two)).toEqual([])
    expect(two).toMatch(/^HTTP\/1\.1 400 /)
    const ipv6 = await sendRaw(port, 'GET /p HTTP/1.1\r\nHost: [::1]:8080\r\nConnection: close\r\n\r\n')
    expect(urlsIn(ipv6)).toEqual(['http://[::1]:8080/p'])
  })

  it('never lets the request target change the authority', async () => {
    const { port } = await listen(reportUrl)
    const absolute = await sendRaw(
      port,
      'GET http://evil.example/x?y=1 HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n',
    )
    expect(urlsIn(absolute)).toEqual(['http://a.test/x?y=1'])
    const schemeRelative = await sendRaw(
      port,
      'GET //evil.example/x HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n',
    )
    expect(urlsIn(schemeRelative)).toEqual(['http://a.test//evil.example/x'])
  })

  it('checks its options when the middleware is created', () => {
    const ok = async () => new Response()
    expect(() => nodeHandler(ok, { bodyLimit: -1 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    )
    expect(() => nodeHandler(ok, { origin: 'https://app.example.com/auth' })).toThrow(/origin/)
    expect(() => nodeHandler(ok, { origin: 'javascript:alert(1)' })).toThrow(/origin/)
    expect(() => nodeHandler(ok, { origin: 'https://app.example.com/' })).not.toThrow()
  })
})

describe('sendWebResponse', () => {
  it('sends every Set-Cookie as its own header line', async () => {
    const cookies = [
      'session=abc; Path=/; HttpOnly; Secure; SameSite=Lax',
      'tx=1; Path=/; Expires=Wed, 21 Oct 2026 07:28:00 GMT',
      'tx.2=; Path=/; Max-Age=0',
    ]
    const { port } = await listen(
      nodeHandler(async () => {
        const headers = new Headers({ 'content-type': 'text/plain', 'x-extra': 'a' })
        headers.append('x-extra', 'b')
        for (const cookie of cookies) headers.append('set-cookie', cookie)
        return new Response('done', { status: 201, statusText: 'Made', headers })
      }),
    )
    const answer = await send({ port, path: '/' })
    expect(answer.status).toBe(201)
    expect(answer.body).toBe('done')
    const raw: [string, string][] = []
    for (let i = 0; i < answer.rawHeaders.length; i += 2) {
      raw.push([(answer.rawHeaders[i] as string).toLowerCase(), answer.rawHeaders[i + 1] as string])
    }
    expect(raw.filter(([name]) => name === 'set-cookie').map(([, value]) => value)).toEqual(cookies)
    expect(answer.headers['x-extra']).toBe('a, b')
  })

  it('streams a large body with backpressure: a client that stops reading holds the producer back', async () => {
    const chunkSize = 64 * 1024
    const chunks = 512 // 32 MiB, far more than the socket buffers hold
    let produced = 0
    let serverRes: ServerResponse | undefined
    const handler = nodeHandler(
      async () =>
        new Response(
          new ReadableStream<Uint8Array>(
            {
              pull(controller) {
                if (produced === chunks) return controller.close()
                controller.enqueue(new Uint8Array(chunkSize).fill(produced % 256))
                produced += 1
              },
            },
            { highWaterMark: 0 },
          ),
        ),
    )
    const { port } = await listen((req, res) => {
      serverRes = res
      handler(req, res)
    })
    const req = httpRequest({ host: '127.0.0.1', port, path: '/big' })
    req.end()
    const [clientRes] = (await once(req, 'response')) as [IncomingMessage]
    clientRes.pause()
    // Either the socket is full and sendWebResponse waits for 'drain', or (no backpressure) it all went out.
    await vi.waitFor(() => expect(serverRes?.writableNeedDrain || produced === chunks).toBe(true), {
      timeout: 20_000,
      interval: 20,
    })
    const stalledAt = produced
    await sleep(300) // room for a producer that ignores backpressure to run ahead
    expect(produced).toBeLessThan(chunks / 2)
    expect(produced - stalledAt).toBeLessThanOrEqual(2)

    let received = 0
    let corrupt = 0
    clientRes.on('data', (data: Buffer) => {
      for (let i = 0; i < data.byteLength; i += 4096) {
        if (data[i] !== Math.floor((received + i) / chunkSize) % 256) corrupt += 1
      }
      received += data.byteLength
    })
    clientRes.resume()
    await once(clientRes, 'end')
    expect(received).toBe(chunkSize * chunks)
    expect(corrupt).toBe(0)
    expect(produced).toBe(chunks)
  })

  it('cancels the body stream and aborts request.signal when the client disconnects mid-response', async () => {
    let request: Request | undefined
    const cancelled = deferred<unknown>()
    const { port } = await listen(
      nodeHandler(async (incoming) => {
        request = incoming
        return new Response(
          new ReadableStream<Uint8Array>({
            pull: async (controller) => {
              controller.enqueue(new TextEncoder().encode('tick\n'))
              await sleep(5)
            },
            cancel: cancelled.resolve,
          }),
        )
      }),
    )
    const req = httpRequest({ host: '127.0.0.1', port, path: '/events' }, (res) => {
      res.once('data', () => req.destroy())
    })
    req.on('error', () => {})
    req.end()

    const cancelReason = await cancelled.promise
    expect(isAuthError(cancelReason) && cancelReason.code).toBe('ERR_REQUEST_ABORTED')
    const signal = request?.signal as AbortSignal
    if (!signal.aborted) await once(signal, 'abort')
    expect(isAuthError(signal.reason) && signal.reason.code).toBe('ERR_REQUEST_ABORTED')
  })

  it('aborts request.signal when the client leaves while the handler is still working', async () => {
    const aborted = deferred<unknown>()
    const started = deferred<void>()
    const { port } = await listen(
      nodeHandler(async (request) => {
        started.resolve()
        request.signal.addEventListener('abort', () => aborted.resolve(request.signal.reason))
        await new Promise((resolve) => request.signal.addEventListener('abort', resolve))
        return new Response('too late')
      }),
    )
    const req = httpRequest({ host: '127.0.0.1', port, path: '/slow' })
    req.on('error', () => {})
    req.end()
    await started.promise
    req.destroy()
    const reason = await aborted.promise
    expect(isAuthError(reason) && reason.code).toBe('ERR_REQUEST_ABORTED')
  })

  it('sends headers but no body for HEAD, and does not read the body stream', async () => {
    let pulled = false
    let cancelled = false
    const { port } = await listen(
      nodeHandler(
        async () =>
          new Response(
            new ReadableStream(
              {
                pull(controller) {
                  pulled = true
                  controller.enqueue(new TextEncoder().encode('body'))
                  controller.close()
                },
                cancel() {
                  cancelled = true
                },
              },
              { highWaterMark: 0 },
            ),
            { headers: { 'x-test': 'head', 'content-length': '4' } },
          ),
      ),
    )
    const answer = await send({ port, method: 'HEAD', path: '/' })
    expect(answer.status).toBe(200)
    expect(answer.headers['x-test']).toBe('head')
    expect(answer.headers['content-length']).toBe('4')
    expect(answer.body).toBe('')
    expect(pulled).toBe(false)
    expect(cancelled).toBe(true)
  })

  it('sends a response with a null body', async () => {
    const { port } = await listen(
      nodeHandler(async () => new Response(null, { status: 204, headers: { 'x-a': '1' } })),
    )
    const answer = await send({ port, path: '/' })
    expect(answer.status).toBe(204)
    expect(answer.headers['x-a']).toBe('1')
    expect(answer.body).toBe('')
  })

  it('rejects instead of writing when headers were already sent, and cancels the body', async () => {
    let outcome: unknown
    let cancelled = false
    const { port } = await listen(async (_req, res) => {
      res.writeHead(200).write('already started')
      const body = new ReadableStream({
        cancel() {
          cancelled = true
        },
      })
      outcome = await sendWebResponse(res, new Response(body)).catch((error: unknown) => error)
      res.end()
    })
    const answer = await send({ port, path: '/' })
    expect(answer.body).toBe('already started')
    expect(outcome).toBeInstanceOf(ResponseAlreadySentError)
    expect(isAuthError(outcome) && outcome.code).toBe('ERR_HEADERS_SENT')
    expect(cancelled).toBe(true)
  })

  it('destroys the connection when the body stream fails mid-way, and reports the error', async () => {
    const failure = new Error('producer broke')
    const reported = deferred<unknown>()
    const { port } = await listen(
      nodeHandler(
        async () =>
          new Response(
            new ReadableStream({
              start(controller) {
                controller.enqueue(new TextEncoder().encode('partial'))
              },
              pull(controller) {
                controller.error(failure)
              },
            }),
          ),
        { onError: reported.resolve },
      ),
    )
    const clientError = await send({ port, path: '/' }).then(
      () => undefined,
      (error: unknown) => error,
    )
    expect(clientError).toMatchObject({
      code: expect.stringMatching(/ECONNRESET|ERR_STREAM_PREMATURE_CLOSE/),
    })
    expect(await reported.promise).toBe(failure)
  })

  it('answers an unexpected handler error with a bare 500 when there is no next', async () => {
    const reported = deferred<unknown>()
    const { port } = await listen(
      nodeHandler(
        async () => {
          throw new Error('database password is hunter2')
        },
        { onError: reported.resolve },
      ),
    )
    const answer = await send({ port, path: '/' })
    expect(answer.status).toBe(500)
    expect(JSON.parse(answer.body)).toEqual({
      error: 'server_error',
      error_description: 'Internal server error',
    })
    expect(answer.body).not.toContain('hunter2')
    expect(answer.body).not.toContain('at ')
    expect(((await reported.promise) as Error).message).toContain('hunter2')
  })
})

describe('toWebRequest on its own', () => {
  it('builds a Request that the handler reads and answers with sendWebResponse', async () => {
    const { port, base } = await listen(async (req, res) => {
      const request = toWebRequest(req, { res, bodyLimit: 100 })
      await sendWebResponse(res, Response.json({ url: request.url, text: await request.text() }))
    })
    const answer = await send(
      { port, method: 'PUT', path: '/direct', headers: { 'content-type': 'text/plain' } },
      'hi',
    )
    expect(JSON.parse(answer.body)).toEqual({ url: `${base}/direct`, text: 'hi' })
  })

  it('throws RequestTooLargeError for a declared length over the limit', async () => {
    let thrown: unknown
    const { port } = await listen((req, res) => {
      try {
        toWebRequest(req, { res, bodyLimit: 3 })
      } catch (error) {
        thrown = error
      }
      res.end()
    })
    await send({ port, method: 'POST', path: '/' }, 'four')
    expect(thrown).toBeInstanceOf(RequestTooLargeError)
    expect(thrown).toMatchObject({ code: 'ERR_BODY_TOO_LARGE', status: 413, limit: 3 })
  })

  it("adds the caller's signal to request.signal", async () => {
    let aborted: boolean | undefined
    const { port } = await listen((req, res) => {
      const shutdown = new AbortController()
      const request = toWebRequest(req, { res, signal: shutdown.signal })
      const before = request.signal.aborted
      shutdown.abort()
      aborted = !before && request.signal.aborted
      res.end()
    })
    await send({ port, path: '/' })
    expect(aborted).toBe(true)
  })

  it('refuses a consumed body it cannot rebuild with BodyConsumedError, answered as a bare 500', async () => {
    const reported = deferred<unknown>()
    const bridge = nodeHandler(echo, { onError: reported.resolve })
    const { port } = await listen((req, res) => {
      // A parser the bridge does not know: it reads the stream and leaves an object behind.
      req.resume().on('end', () => {
        Object.assign(req, { body: { files: [] } })
        bridge(req, res)
      })
    })
    const answer = await send(
      { port, method: 'POST', path: '/', headers: { 'content-type': 'multipart/form-data; boundary=x' } },
      '--x--',
    )
    expect(answer.status).toBe(500)
    expect(JSON.parse(answer.body).error).toBe('server_error')
    expect(await reported.promise).toMatchObject({ code: 'ERR_BODY_CONSUMED' })
  })
})

describe('sessionRequestBuilder', () => {
  it('gives the URL, the method and the headers as a Request would, read in place', async () => {
    let seen: Record<string, unknown> | undefined
    const build = sessionRequestBuilder({ trustProxy: true })
    const { port } = await listen((req, res) => {
      const request = build(req)
      seen = {
        url: request.url,
        method: request.method,
        cookie: request.headers.get('cookie'),
        accept: request.headers.get('Accept'),
        origin: request.headers.get('origin'),
        site: request.headers.get('sec-fetch-site'),
        custom: request.headers.get('x-custom'),
        missing: request.headers.get('sec-fetch-dest'),
        body: 'body' in request,
      }
      res.end()
    })
    await send(
      {
        port,
        method: 'POST',
        path: '/sessions/revoke?x=1',
        headers: {
          host: 'app.internal',
          'x-forwarded-host': 'app.example.com',
          'x-forwarded-proto': 'https',
          cookie: ['a=1', 'b=2'],
          accept: 'text/html',
          origin: 'https://app.example.com',
          'sec-fetch-site': 'same-origin',
          'x-custom': ['one', 'two'],
          'content-type': 'application/x-www-form-urlencoded',
        },
      },
      'handle=abc',
    )
    expect(seen).toEqual({
      url: 'https://app.example.com/sessions/revoke?x=1',
      method: 'POST', // a body-less copy of a POST stays a POST (same-origin checks)
      cookie: 'a=1; b=2', // cookie pieces joined as one Cookie header
      accept: 'text/html',
      origin: 'https://app.example.com',
      site: 'same-origin',
      custom: 'one, two', // other repeats joined as Fetch joins them
      missing: null,
      body: false, // no body: it stays for the route's own parser
    })
  })

  it('checks its options once, and refuses a repeated or malformed Host like toWebRequest', async () => {
    expect(() => sessionRequestBuilder({ origin: 'not a url' })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    )
    const thrown: unknown[] = []
    const build = sessionRequestBuilder()
    const { port } = await listen((req, res) => {
      try {
        build(req)
      } catch (error) {
        thrown.push(error)
      }
      res.end()
    })
    await sendRaw(port, 'GET / HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\nConnection: close\r\n\r\n')
    await sendRaw(port, 'GET / HTTP/1.1\r\nHost: bad host/\r\nConnection: close\r\n\r\n')
    expect(thrown).toEqual([
      expect.objectContaining({ code: 'ERR_HOST_INVALID', status: 400 }),
      expect.objectContaining({ code: 'ERR_HOST_INVALID', status: 400 }),
    ])
  })
})

describe('Express 5', () => {
  async function expressApp() {
    const seen: { request?: { url: string; contentLength: string | null; body: string } } = {}
    const bridge = nodeHandler(async (request) => {
      const body = await request.text()
      seen.request = { url: request.url, contentLength: request.headers.get('content-length'), body }
      if (new URL(request.url).pathname.endsWith('/fail')) throw new Error('handler bug')
      const headers = new Headers({ 'content-type': 'text/plain' })
      headers.append('set-cookie', 'from_core=1; Path=/')
      return new Response(body, { headers })
    })
    const app = express()
    app.post('/nested/auth', express.urlencoded({ extended: true }), bridge)
    app.use(express.urlencoded())
    app.use(express.json())
    app.use((_req, res, next) => {
      res.cookie('from_express', '1')
      next()
    })
    app.use('/auth', bridge)
    app.use((error: Error, _req: ExpressRequest, res: ExpressResponse, _next: NextFunction) => {
      res.status(599).send(`express saw: ${error.message}`)
    })
    const { port, base } = await listen(app)
    return { port, base, seen }
  }

  it('rebuilds a form body that express.urlencoded() already consumed', async () => {
    const { port, base, seen } = await expressApp()
    const form = 'code=abc&state=x%20y%26z&scope=openid&scope=email'
    const answer = await send(
      {
        port,
        method: 'POST',
        path: '/auth/callback?x=1',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      },
      form,
    )
    expect(answer.status).toBe(200)
    expect(seen.request?.url).toBe(`${base}/auth/callback?x=1`)
    expect(new URLSearchParams(answer.body)).toEqual(new URLSearchParams(form))
    expect(seen.request?.contentLength).toBe(String(Buffer.byteLength(answer.body)))
  })

  it('rebuilds nested fields parsed with extended: true in bracket notation', async () => {
    const { port, seen } = await expressApp()
    await send(
      {
        port,
        method: 'POST',
        path: '/nested/auth',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      },
      'user[name]=ada&user[roles][]=admin&user[roles][]=dev&plain=1',
    )
    expect([...new URLSearchParams(seen.request?.body)]).toEqual([
      ['user[name]', 'ada'],
      ['user[roles]', 'admin'],
      ['user[roles]', 'dev'],
      ['plain', '1'],
    ])
  })

  it('rebuilds a JSON body that express.json() already consumed', async () => {
    const { port, seen } = await expressApp()
    const payload = { a: [1, { b: 'c' }], d: null }
    await send(
      { port, method: 'POST', path: '/auth/api', headers: { 'content-type': 'application/json' } },
      JSON.stringify(payload),
    )
    expect(JSON.parse(seen.request?.body ?? '')).toEqual(payload)
  })

  it("keeps cookies set by earlier middleware next to the core's", async () => {
    const { port } = await expressApp()
    const answer = await send({ port, path: '/auth/session' })
    expect(answer.headers['set-cookie']).toEqual(['from_express=1; Path=/', 'from_core=1; Path=/'])
  })

  it('passes unexpected handler errors to next(err)', async () => {
    const { port } = await expressApp()
    const answer = await send({ port, path: '/auth/fail' })
    expect(answer.status).toBe(599)
    expect(answer.body).toBe('express saw: handler bug')
  })
})

describe('bodies parsed by other frameworks', () => {
  const decode = (bytes: Uint8Array | undefined) =>
    bytes === undefined ? undefined : new TextDecoder().decode(bytes)
  const FORM = 'application/x-www-form-urlencoded'

  it('re-encodes null-prototype and fast-querystring (Fastify) form objects', () => {
    const nullPrototype = Object.assign(Object.create(null), { a: '1', b: ['2', '3'] })
    expect(decode(encodeParsedBody(nullPrototype, FORM))).toBe('a=1&b=2&b=3')
    // fast-querystring's result: an instance of a constructor whose prototype has no prototype.
    const Empty = function Empty() {} as unknown as { new (): Record<string, string>; prototype: object }
    Empty.prototype = Object.create(null)
    const parsed = Object.assign(new Empty(), { state: 's', code: 'c' })
    expect(decode(encodeParsedBody(parsed, FORM))).toBe('state=s&code=c')
  })

  it('refuses class instances and other objects it cannot tell are parser output', () => {
    expect(encodeParsedBody(new Map([['a', '1']]), FORM)).toBeUndefined()
    expect(encodeParsedBody(new Date(0), FORM)).toBeUndefined()
  })
})
