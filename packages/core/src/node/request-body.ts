import type { IncomingMessage } from 'node:http'
import { AuthError, type AuthErrorOptions, nameErrorClass } from '../errors.js'

/**
 * The request body is larger than the bridge's `bodyLimit`, by its declared `Content-Length` or
 * while it streams. Answered 413; the connection is then closed rather than read to its end.
 */
export class RequestTooLargeError extends AuthError {
  static {
    nameErrorClass(RequestTooLargeError, 'RequestTooLargeError')
  }
  static override captureStack = false
  /** The limit that was exceeded, in bytes. */
  readonly limit: number
  constructor(limit: number) {
    super('ERR_BODY_TOO_LARGE', `The request body exceeds ${limit} bytes`, 413, 'invalid_request')
    this.limit = limit
  }
}

/**
 * The client closed the connection before its request was answered: the reason of the Web
 * request's `signal`, and the error of its body stream when the upload was cut short.
 */
export class RequestAbortedError extends AuthError {
  static {
    nameErrorClass(RequestAbortedError, 'RequestAbortedError')
  }
  static override captureStack = false
  constructor(options?: AuthErrorOptions) {
    super(
      'ERR_REQUEST_ABORTED',
      'The client closed the connection before the response was sent',
      400,
      'invalid_request',
      options,
    )
  }
}

/**
 * A middleware ran before the bridge, read the request stream and left a `req.body` the bridge
 * cannot turn back into bytes (an object under a content type that is neither form nor JSON).
 * A set-up mistake: mount the bridge before that body parser, or use one the bridge understands.
 */
export class BodyConsumedError extends AuthError {
  static {
    nameErrorClass(BodyConsumedError, 'BodyConsumedError')
  }
  constructor() {
    super(
      'ERR_BODY_CONSUMED',
      'The request body was read by another middleware and req.body cannot be re-encoded',
      500,
    )
  }
}

/**
 * The body of a Node request as a Web stream that reads the socket only as fast as the consumer
 * reads the stream, counting bytes as they come: past `limit`, the stream fails with
 * {@link RequestTooLargeError}. A client that disconnects mid-upload fails it with
 * {@link RequestAbortedError}.
 *
 * Nothing is read before the first `read()`: a handler that ignores the body leaves `req`
 * untouched, so Node discards the body itself after the response and keeps the connection usable.
 */
export function nodeBodyStream(req: IncomingMessage, limit: number): ReadableStream<Uint8Array> {
  let controller!: ReadableStreamDefaultController<Uint8Array>
  let listening = false
  let received = 0

  const onData = (chunk: Buffer) => {
    received += chunk.byteLength
    if (received > limit) {
      fail(new RequestTooLargeError(limit))
      return
    }
    controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))
    if ((controller.desiredSize ?? 0) <= 0) req.pause()
  }
  const onEnd = () => {
    stop()
    controller.close()
  }
  const onError = (cause: unknown) => fail(new RequestAbortedError({ cause }))
  const onClose = () => {
    if (!req.complete) fail(new RequestAbortedError())
  }
  function stop() {
    req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose)
  }
  function fail(error: AuthError) {
    stop()
    discard(req)
    controller.error(error)
  }

  return new ReadableStream<Uint8Array>(
    {
      start(streamController) {
        controller = streamController
      },
      pull() {
        if (!listening) {
          listening = true
          if (req.readableEnded) return controller.close()
          if (req.destroyed) return fail(new RequestAbortedError())
          req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose)
        }
        req.resume()
      },
      cancel() {
        stop()
        discard(req)
      },
    },
    // Zero: nothing is buffered ahead of the consumer beyond the chunk Node just handed over.
    { highWaterMark: 0 },
  )
}

/**
 * Lets the rest of a refused or abandoned body flow into nothing. A client still writing its body
 * (most do not read before they finish sending) would otherwise never see the answer; the bridge
 * closes the connection after answering, which bounds how long this lasts.
 */
function discard(req: IncomingMessage): void {
  if (!req.destroyed) req.resume()
}

const FORM_TYPE = /^application\/x-www-form-urlencoded\s*(?:;|$)/i
const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i

/**
 * Turns what an Express body parser left in `req.body` back into bytes, for a request whose stream
 * it already consumed: a string (`express.text()`) as UTF-8, a Buffer (`express.raw()`) as is, an
 * object under a form content type (`express.urlencoded()`) form-encoded, any value under a JSON
 * content type (`express.json()`) stringified. `undefined` when the value has no faithful encoding.
 */
export function encodeParsedBody(
  body: unknown,
  contentType: string | null,
): Uint8Array<ArrayBuffer> | undefined {
  if (typeof body === 'string') return new TextEncoder().encode(body)
  if (body instanceof Uint8Array) return new Uint8Array(body)
  const type = contentType ?? ''
  if (JSON_TYPE.test(type)) {
    const json = JSON.stringify(body)
    return json === undefined ? undefined : new TextEncoder().encode(json)
  }
  if (FORM_TYPE.test(type) && isPlainObject(body)) {
    const form = new URLSearchParams()
    for (const [name, value] of Object.entries(body)) {
      if (!appendFormValue(form, name, value)) return undefined
    }
    return new TextEncoder().encode(form.toString())
  }
  return undefined
}

/**
 * Lists repeat their key (`a=1&a=2`, which both the simple and the `qs` parser read back as a
 * list); nested objects from `extended: true` use `qs`'s bracket notation (`a[b]=1`).
 */
function appendFormValue(form: URLSearchParams, name: string, value: unknown): boolean {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    form.append(name, String(value))
    return true
  }
  if (Array.isArray(value)) {
    return value.every((item, index) =>
      appendFormValue(form, isPlainObject(item) ? `${name}[${index}]` : name, item),
    )
  }
  if (isPlainObject(value)) {
    return Object.entries(value).every(([key, item]) => appendFormValue(form, `${name}[${key}]`, item))
  }
  return false
}

/**
 * A parser's result object: `{}`, a null-prototype object (qs, querystring), or one whose
 * prototype is itself a null-prototype object (fast-querystring, Fastify's form parser).
 */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false
  const prototype = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null || Object.getPrototypeOf(prototype) === null
}
