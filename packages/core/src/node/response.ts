import type { ServerResponse } from 'node:http'
import { AuthError, nameErrorClass } from '../errors.js'
import { RequestAbortedError } from './request-body.js'

export interface SendWebResponseOptions {
  /**
   * The request's method: for `HEAD` the headers are sent and the body is not read.
   * Default: `res.req.method`.
   */
  method?: string
}

/**
 * Something else already wrote the status line and headers of this Node response, so the Web
 * `Response` cannot be sent. The Web response's body is cancelled; nothing is written.
 */
export class ResponseAlreadySentError extends AuthError {
  static {
    nameErrorClass(ResponseAlreadySentError, 'ResponseAlreadySentError')
  }
  constructor() {
    super('ERR_HEADERS_SENT', 'The response headers were already sent; the Web Response was not written', 500)
  }
}

// Framing and connection management belong to Node's HTTP server, not to the handler: a copied
// `transfer-encoding` would contradict the framing Node chooses.
const CONNECTION_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding'])

/**
 * Writes a Web `Response` to a Node `ServerResponse`: status, status text and headers (each
 * `Set-Cookie` as its own header line, added to any a previous middleware set), then the body,
 * streamed chunk by chunk and waiting for `drain` whenever the socket is saturated, so a slow
 * client holds back the producer instead of filling memory.
 *
 * Resolves when the response is handed to the socket, or as soon as the client disconnects (the
 * body stream is then cancelled). Rejects with {@link ResponseAlreadySentError} if headers were
 * already sent, and with the body stream's own error if it fails mid-way: the status line is out
 * by then, so the connection is destroyed, which tells the client the response is incomplete.
 */
export async function sendWebResponse(
  res: ServerResponse,
  response: Response,
  options: SendWebResponseOptions = {},
): Promise<void> {
  const body = response.body
  if (res.headersSent) {
    await cancel(body)
    throw new ResponseAlreadySentError()
  }
  if (res.destroyed) {
    await cancel(body)
    return
  }
  try {
    copyHead(res, response)
  } catch (error) {
    await cancel(body)
    throw error
  }
  const method = options.method ?? res.req?.method
  if (body === null || method === 'HEAD' || response.status === 204 || response.status === 304) {
    await cancel(body)
    res.end()
    return settled(res)
  }
  return streamBody(res, body)
}

function copyHead(res: ServerResponse, response: Response): void {
  res.statusCode = response.status
  if (response.statusText !== '') res.statusMessage = response.statusText
  for (const [name, value] of response.headers) {
    // `set-cookie` is added below from getSetCookie(): a joined value would corrupt the cookies.
    if (name === 'set-cookie' || CONNECTION_HEADERS.has(name)) continue
    res.setHeader(name, value)
  }
  const cookies = response.headers.getSetCookie()
  if (cookies.length > 0) {
    const earlier = res.getHeader('set-cookie')
    const kept = earlier === undefined ? [] : Array.isArray(earlier) ? earlier : [String(earlier)]
    res.setHeader('set-cookie', [...kept, ...cookies])
  }
}

async function streamBody(res: ServerResponse, body: ReadableStream<Uint8Array>): Promise<void> {
  const reader = body.getReader()
  // A disconnect cancels the source: the pending read() then resolves as done and the loop ends.
  const onClose = () => {
    reader.cancel(new RequestAbortedError()).catch(() => {})
  }
  res.once('close', onClose)
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done || res.destroyed) break
      if (!res.write(value)) await drained(res)
    }
  } catch (error) {
    res.destroy()
    reader.cancel(error).catch(() => {})
    throw error
  } finally {
    res.off('close', onClose)
  }
  if (res.destroyed) {
    reader.cancel(new RequestAbortedError()).catch(() => {})
    return
  }
  res.end()
  return settled(res)
}

async function cancel(body: ReadableStream<Uint8Array> | null): Promise<void> {
  // A locked body (already being read elsewhere) cannot be cancelled here; that is its reader's job.
  await body?.cancel().catch(() => {})
}

/** Resolves on `drain`, or on `close` when the client goes away while the socket is full. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done).off('close', done)
      resolve()
    }
    res.on('drain', done).on('close', done)
  })
}

/** Resolves once the response is flushed (`finish`) or the connection is gone (`close`). */
function settled(res: ServerResponse): Promise<void> {
  if (res.writableFinished || res.destroyed) return Promise.resolve()
  return new Promise((resolve) => {
    const done = () => {
      res.off('finish', done).off('close', done)
      resolve()
    }
    res.on('finish', done).on('close', done)
  })
}
