/**
 * The one bridge between Node's HTTP server and the core's fetch-style handlers: an
 * `IncomingMessage` becomes a Web `Request` here, a Web `Response` is written to a `ServerResponse`
 * by response.ts, and node-handler.ts serves a handler with both.
 * Express and Nest adapters are built on it; nothing framework-specific lives here beyond reading
 * what Express's body parsers leave on `req`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { checkOrigin } from '../dpop/request-input.js'
import { AuthError, ConfigurationError, nameErrorClass } from '../errors.js'
import type { RequestLike } from '../web/request-like.js'
import {
  BodyConsumedError,
  encodeParsedBody,
  nodeBodyStream,
  RequestAbortedError,
  RequestTooLargeError,
} from './request-body.js'

export { BodyConsumedError, RequestAbortedError, RequestTooLargeError } from './request-body.js'
export { ResponseAlreadySentError, type SendWebResponseOptions, sendWebResponse } from './response.js'

export interface ToWebRequestOptions {
  /**
   * Largest request body accepted, in bytes: a larger `Content-Length` is refused before reading,
   * and a body without one (chunked) fails while it streams, with {@link RequestTooLargeError}
   * (413). Default: 1 MiB (1_048_576).
   */
  bodyLimit?: number
  /**
   * Build the URL from the first value of `X-Forwarded-Proto` and `X-Forwarded-Host`. Only behind
   * a reverse proxy that sets (not forwards) both: otherwise any client chooses the URL, and with it
   * redirect URIs and origin checks. Ignored when `origin` is set. Default: false.
   */
  trustProxy?: boolean
  /**
   * The application's public origin, e.g. `https://app.example.com`. Wins over `Host` and
   * `X-Forwarded-*`: the safest choice in production. Default: none (taken from the request).
   */
  origin?: string
  /**
   * The Node response of the same exchange. Its `close` before the response finished (the client
   * went away) aborts `request.signal`. Default: none; then only a disconnect while the request
   * body is still arriving aborts the signal.
   */
  res?: ServerResponse
  /** Also aborts `request.signal` (a shutdown, a timeout). Default: none. */
  signal?: AbortSignal
  /**
   * `false` builds a request without a body (and does not touch the Node stream), for checks that
   * need only the URL and headers, such as a session lookup before the route's own body parser.
   * Default: true.
   */
  body?: boolean
}

/** Invalid request metadata that Node's parser let through (a forbidden method, a malformed header). */
export class InvalidRequestError extends AuthError {
  static {
    nameErrorClass(InvalidRequestError, 'InvalidRequestError')
  }
  static override captureStack = false
  constructor(code: string, message: string, status = 400) {
    super(code, message, status, 'invalid_request')
  }
}

export interface BridgeSettings {
  bodyLimit: number
  trustProxy: boolean
  origin: string | undefined
}

const DEFAULT_BODY_LIMIT = 1024 * 1024
// A DNS name (underscores tolerated, as in container names) or a bracketed IP literal, then a port.
// Anything else (spaces, `/`, `@`, `\`, several values) could move the URL's authority or path.
const HOST = /^(?:[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i
const FALLBACK_HOST = 'localhost'
// Fetch refuses these methods (`new Request` throws); Node's parser accepts them.
const FORBIDDEN_METHOD = /^(?:CONNECT|TRACE|TRACK)$/i

export function bridgeSettings(options: ToWebRequestOptions): BridgeSettings {
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT
  if (!Number.isSafeInteger(bodyLimit) || bodyLimit < 0) {
    throw new ConfigurationError('bodyLimit must be a non-negative integer number of bytes')
  }
  // The same rule as the bearer check's `origin` (the public origin behind a proxy).
  const origin = checkOrigin(options.origin)
  return { bodyLimit, trustProxy: options.trustProxy ?? false, origin }
}

function firstValue(value: string | null): string | undefined {
  return value?.split(',')[0]?.trim()
}

/** The last host found valid: a server sees the same few hosts on every request. */
let lastValidHost: string | undefined

function validHost(host: string | undefined): host is string {
  if (host === undefined) return false
  if (host === lastValidHost) return true
  const valid = host.length <= 261 && HOST.test(host) && URL.canParse(`http://${host}`)
  if (valid) lastValidHost = host
  return valid
}

/**
 * Reads the Web headers, not `req.headers`: Node keeps the first of two `Host` headers there,
 * while the joined value (`a, b`) is refused here, as RFC 9112 §3.2 asks of an ambiguous request.
 */
export function originOf(
  req: IncomingMessage,
  headers: { get(name: string): string | null },
  settings: BridgeSettings,
): string {
  if (settings.origin !== undefined) return settings.origin
  let protocol = 'encrypted' in req.socket && req.socket.encrypted ? 'https' : 'http'
  // HTTP/2 (compatibility API) carries the authority in a pseudo-header instead of Host.
  const authority = req.headers[':authority']
  let host = headers.get('host') ?? (typeof authority === 'string' ? authority : undefined)
  if (settings.trustProxy) {
    const forwardedProto = firstValue(headers.get('x-forwarded-proto'))?.toLowerCase()
    if (forwardedProto === 'https' || forwardedProto === 'http') protocol = forwardedProto
    const forwardedHost = firstValue(headers.get('x-forwarded-host'))
    if (validHost(forwardedHost)) host = forwardedHost
  }
  if (validHost(host)) return `${protocol}://${host}`
  // HTTP/1.0 may omit Host; HTTP/1.1 may not, nor send a malformed or repeated one (RFC 9112 §3.2):
  // answering such a request as `localhost` would hand it a loopback origin's treatment.
  if (host === undefined && req.httpVersionMajor === 1 && req.httpVersionMinor === 0) {
    return `${protocol}://${FALLBACK_HOST}`
  }
  throw new InvalidRequestError('ERR_HOST_INVALID', 'The Host header is missing, repeated or malformed')
}

/**
 * The request target as a path. Express rewrites `req.url` under a mount point and keeps the
 * original in `req.originalUrl`: the handler sees the URL the client asked for. An absolute-form
 * target (sent to proxies) keeps only its path and query; its authority is not trusted over Host.
 */
export function pathOf(req: IncomingMessage): string {
  const { originalUrl } = req as { originalUrl?: unknown }
  const target = typeof originalUrl === 'string' ? originalUrl : (req.url ?? '/')
  if (target.startsWith('/')) return target
  const absolute = URL.canParse(target) ? new URL(target) : undefined
  if (absolute?.protocol === 'http:' || absolute?.protocol === 'https:') {
    return `${absolute.pathname}${absolute.search}`
  }
  return '/'
}

/**
 * Copies headers from `rawHeaders`, which keeps every repeated header (Node's `headers` drops
 * repeated `Authorization`, for one); repeats are joined with `, ` as Fetch does, except `Cookie`,
 * whose pieces are joined with `; ` (RFC 9113 §8.2.3) so cookie parsers see every cookie.
 */
function headersOf(req: IncomingMessage): Headers {
  const headers = new Headers()
  const cookies: string[] = []
  const raw = req.rawHeaders
  try {
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i] as string
      const value = raw[i + 1] as string
      if (name.startsWith(':')) continue // HTTP/2 pseudo-headers
      if (name.length === 6 && name.toLowerCase() === 'cookie') cookies.push(value)
      else headers.append(name, value)
    }
    if (cookies.length > 0) headers.set('cookie', cookies.join('; '))
  } catch {
    throw new InvalidRequestError('ERR_REQUEST_HEADER_INVALID', 'The request carries a malformed header')
  }
  return headers
}

function bodyOf(req: IncomingMessage, headers: Headers, limit: number): BodyInit | null {
  const declared = headers.get('content-length')
  if (declared !== null && Number(declared) > limit) throw new RequestTooLargeError(limit)
  if (req.readableEnded) {
    // A body parser (express.json(), express.urlencoded()...) read the stream before the bridge.
    const { body } = req as { body?: unknown }
    if (body === undefined) return null
    const bytes = encodeParsedBody(body, headers.get('content-type'))
    if (bytes === undefined) throw new BodyConsumedError()
    if (bytes.byteLength > limit) throw new RequestTooLargeError(limit)
    // The bytes are new: a parser may have decoded gzip, and chunked framing is gone.
    headers.set('content-length', String(bytes.byteLength))
    headers.delete('content-encoding')
    headers.delete('transfer-encoding')
    return bytes
  }
  // HTTP/1.1 without Content-Length or Transfer-Encoding means no body (RFC 9112 §6.3).
  if ((declared === null || declared === '0') && !headers.has('transfer-encoding')) return null
  return nodeBodyStream(req, limit)
}

/** Aborts when the client goes away before the response finished. */
function disconnectSignal(req: IncomingMessage, res: ServerResponse | undefined): AbortSignal {
  const controller = new AbortController()
  const abort = () => controller.abort(new RequestAbortedError())
  if (res !== undefined) {
    if (res.destroyed && !res.writableFinished) abort()
    else
      res.once('close', () => {
        if (!res.writableFinished) abort()
      })
  } else {
    // Without the response, Node reports a disconnect only while the request is still arriving.
    req.once('close', () => {
      if (!req.complete) abort()
    })
  }
  return controller.signal
}

export function createRequest(
  req: IncomingMessage,
  settings: BridgeSettings,
  options: ToWebRequestOptions,
): Request {
  const method = req.method ?? 'GET'
  if (FORBIDDEN_METHOD.test(method)) {
    throw new InvalidRequestError('ERR_METHOD_UNSUPPORTED', `The ${method} method is not supported`, 405)
  }
  const headers = headersOf(req)
  const url = `${originOf(req, headers, settings)}${pathOf(req)}`
  const body =
    options.body === false || method === 'GET' || method === 'HEAD'
      ? null
      : bodyOf(req, headers, settings.bodyLimit)
  const disconnected = disconnectSignal(req, options.res)
  const signal = options.signal === undefined ? disconnected : AbortSignal.any([disconnected, options.signal])
  // A body-less copy of a POST stays a POST: method checks (logout, CSRF) see the real one.
  // `duplex` is required by Node's fetch for a streamed body and not yet in TypeScript's DOM types.
  const init: RequestInit & { duplex?: 'half' } = { method, headers, signal }
  if (body !== null) {
    init.body = body
    init.duplex = 'half'
  }
  return new Request(url, init)
}

/**
 * A header of a Node request as Fetch's `Headers.get` gives it, read from `rawHeaders` (Node's
 * `headers` keeps only the first of a repeated `Host`, which must be refused, RFC 9112 §3.2):
 * repeats joined with `, `, the `Cookie` pieces with `; `. Node's parser has already refused
 * malformed names and values.
 */
function rawHeader(req: IncomingMessage, name: string): string | null {
  const raw = req.rawHeaders
  let value: string | null = null
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const key = raw[i] as string
    if (key.length !== name.length || key.toLowerCase() !== name) continue
    const piece = raw[i + 1] as string
    value = value === null ? piece : `${value}${name === 'cookie' ? '; ' : ', '}${piece}`
  }
  return value
}

/** A Node request's headers read in place (a class: no closure to create on every request). */
class RawHeaders {
  readonly #req: IncomingMessage
  constructor(req: IncomingMessage) {
    this.#req = req
  }
  get(name: string): string | null {
    return rawHeader(this.#req, name.toLowerCase())
  }
}

/**
 * A builder of the requests adapters pass to the session functions of `createAuth`
 * (`requireSession`, `getSession`, session management), with the options checked once: the URL
 * and method as {@link toWebRequest} finds them, and headers read from the Node request in place.
 * No body (it stays for the route's own parser) and no disconnect signal (a token refresh is
 * shared by the requests of a session: one client leaving must not cancel it). On the hot path of
 * every session-protected route, copying every header into a Fetch `Request` (and the abort signal
 * each one carries) cost more than the session check itself.
 */
export function sessionRequestBuilder(
  options: ToWebRequestOptions = {},
): (req: IncomingMessage) => RequestLike {
  const settings = bridgeSettings(options)
  return (req) => {
    const method = req.method ?? 'GET'
    if (FORBIDDEN_METHOD.test(method)) {
      throw new InvalidRequestError('ERR_METHOD_UNSUPPORTED', `The ${method} method is not supported`, 405)
    }
    return new NodeSessionRequest(req, method, settings)
  }
}

/**
 * A session function's view of a Node request. The `Host` is checked at once (`ERR_HOST_INVALID`,
 * as `toWebRequest` does), but the URL string is built only when read: with `baseUrl` set, a
 * signed-in request never reads it.
 */
class NodeSessionRequest implements RequestLike {
  readonly method: string
  readonly headers: RawHeaders
  readonly #req: IncomingMessage
  readonly #origin: string
  #url: string | undefined
  constructor(req: IncomingMessage, method: string, settings: BridgeSettings) {
    this.method = method
    this.headers = new RawHeaders(req)
    this.#req = req
    this.#origin = originOf(req, this.headers, settings)
  }
  get url(): string {
    this.#url ??= `${this.#origin}${pathOf(this.#req)}`
    return this.#url
  }
}

/**
 * A Web `Request` for a Node request. The URL comes from `origin` if set, else `X-Forwarded-*`
 * with `trustProxy`, else the `Host` header; a missing (HTTP/1.1), repeated or malformed `Host`
 * (not a plain name or IP literal and port) is refused with `ERR_HOST_INVALID` (400, RFC 9112 §3.2). The body streams lazily within `bodyLimit`; a body that an
 * Express parser already read is rebuilt from `req.body` (see the README). `request.signal`
 * aborts with {@link RequestAbortedError} when the client disconnects (pass `res` for that).
 *
 * Throws {@link RequestTooLargeError} for a `Content-Length` over the limit,
 * {@link InvalidRequestError} for a method Fetch forbids or a malformed header,
 * {@link BodyConsumedError} for a `req.body` it cannot re-encode, and `ConfigurationError` for
 * invalid options.
 */
export function toWebRequest(req: IncomingMessage, options: ToWebRequestOptions = {}): Request {
  return createRequest(req, bridgeSettings(options), options)
}
