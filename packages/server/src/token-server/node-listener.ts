/**
 * `createNodeTokenServer`: the token server's endpoints (routes.ts) as a Node `request` listener.
 * It reads the few headers it needs from `rawHeaders`, the body from the `IncomingMessage`, and
 * writes the answer with one `res.end`: no Web `Request`, body stream, `AbortSignal` or `Response`
 * per request, which on Node is what a Web handler behind an adapter spends a fifth of its CPU on
 * (bench/README.md, "Token server"). The answers are the Web handler's.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { TokenServerHeader, TokenServerRequest } from './exchange.js'
import { resolveOptions, type TokenServerOptions } from './options.js'
import type { TokenServerAnswer } from './respond.js'
import { TokenRequestError } from './respond.js'
import { answerTokenServerRequest } from './routes.js'

export interface NodeTokenServerOptions extends Omit<TokenServerOptions, 'clientAddress'> {
  /**
   * The caller's address, for the per-address throttle: `(req) => req.socket.remoteAddress` when
   * clients connect directly; behind proxies, the address your own trusted proxy reports (never a
   * raw `X-Forwarded-For` a client can forge). Default: none, and only the per-client throttle applies.
   */
  clientAddress?: (req: IncomingMessage) => string | undefined
}

/**
 * A Node `request` listener for `http.createServer(listener)`, and an Express / Connect middleware
 * mounted at the app's root (`app.use(listener)`, before any body parser): given `next`, a request
 * for none of its paths goes on to the app's other routes instead of a 404.
 */
export type NodeTokenServerListener = (
  req: IncomingMessage,
  res: ServerResponse,
  next?: (error?: unknown) => void,
) => void

type Headers = Record<TokenServerHeader, string | null>

const EMPTY = new Uint8Array(0)
// Refused bodies are not read to their end: the connection closes after the answer instead.
const tooLarge = () =>
  new TokenRequestError('invalid_request', 'The request body is too large', 413, { connection: 'close' })

/** The headers the server reads, repeated fields joined by ", " as Web `Headers` joins them. */
function readHeaders(raw: readonly string[]): Headers {
  const headers: Headers = { authorization: null, 'content-type': null, 'content-length': null, dpop: null }
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string
    // Most names are ruled out by their length alone, before any lower-casing.
    const { length } = name
    if (length !== 13 && length !== 12 && length !== 14 && length !== 4) continue
    const lower = name.toLowerCase() as TokenServerHeader
    if (!(lower in headers)) continue
    const value = raw[i + 1] as string
    const seen = headers[lower]
    headers[lower] = seen === null ? value : `${seen}, ${value}`
  }
  return headers
}

// The path of an absolute-form request-target (RFC 9112 §3.2.2), before any parsing.
const ABSOLUTE_FORM = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*([^?#]*)/i

/**
 * The request-target's path, only when it is already in the form a URL parser gives it; else ''
 * (no route). A target the parser would rewrite (dot segments, `%2e`, a backslash) is refused,
 * not resolved: a proxy or an Express guard in front routes on the raw path, so a resolved
 * `/public/%2e%2e/m2m/introspect` would reach an endpoint those rules meant to keep out.
 */
function pathOf(target: string, routes: ReadonlySet<string>): string {
  if (routes.has(target)) return target
  const query = target.indexOf('?')
  let raw = query < 0 ? target : target.slice(0, query)
  let url: URL
  try {
    if (raw.startsWith('/')) url = new URL(`http://localhost${raw}`)
    else {
      raw = ABSOLUTE_FORM.exec(raw)?.[1] || '/'
      url = new URL(target)
    }
  } catch {
    return ''
  }
  return url.pathname === raw ? raw : ''
}

/**
 * One request, read lazily. A class, not an object of closures: nothing is allocated per request
 * beyond the instance and the few headers.
 */
class NodeTokenRequest implements TokenServerRequest {
  readonly method: string
  readonly path: string
  readonly #req: IncomingMessage
  readonly #headers: Headers
  readonly #clientAddress: NodeTokenServerOptions['clientAddress']

  constructor(
    req: IncomingMessage,
    routes: ReadonlySet<string>,
    clientAddress: NodeTokenServerOptions['clientAddress'],
  ) {
    this.#req = req
    this.#headers = readHeaders(req.rawHeaders)
    this.#clientAddress = clientAddress
    this.method = req.method ?? 'GET'
    this.path = pathOf(req.url ?? '/', routes)
  }

  header(name: TokenServerHeader): string | null {
    return this.#headers[name]
  }

  clientAddress(): string | undefined {
    return this.#clientAddress?.(this.#req)
  }

  body(maxBytes: number): Promise<Uint8Array> {
    const req = this.#req
    const declared = this.#headers['content-length']
    if (declared !== null && Number(declared) > maxBytes) return Promise.reject(tooLarge())
    // A body parser mounted before the listener already read the stream, or the client is gone
    // (its 'close' came before this listener ran): either way 'end' would never come.
    if (req.readableEnded) return Promise.reject(new Error('The request body was already read'))
    if (req.destroyed || req.errored) return Promise.reject(new Error('The request was aborted'))
    return new Promise((resolve, reject) => {
      let first: Buffer | undefined
      let chunks: Buffer[] | undefined
      let size = 0
      let settled = false
      // Handlers stay attached once settled (the request ends with the answer); they then do nothing.
      req.on('data', (chunk: Buffer) => {
        if (settled) return
        size += chunk.length
        if (size > maxBytes) {
          settled = true
          return reject(tooLarge())
        }
        if (first === undefined) first = chunk
        else if (chunks === undefined) chunks = [first, chunk]
        else chunks.push(chunk)
      })
      req.on('end', () => {
        if (settled) return
        settled = true
        resolve(chunks !== undefined ? Buffer.concat(chunks, size) : (first ?? EMPTY))
      })
      // The client went away mid-body: nothing will be answered (the response is destroyed too).
      req.on('close', () => {
        if (settled) return
        settled = true
        reject(new Error('The request was aborted'))
      })
      req.on('error', (error) => {
        if (settled) return
        settled = true
        reject(error)
      })
    })
  }
}

function send(res: ServerResponse, answer: TokenServerAnswer): void {
  if (res.destroyed) return
  // Something in front already answered: end it rather than leave the connection waiting.
  if (res.headersSent) {
    if (!res.writableEnded) res.end()
    return
  }
  const { headers, body } = answer
  if (body !== null) headers['content-length'] = String(Buffer.byteLength(body))
  res.writeHead(answer.status, headers)
  res.end(body ?? undefined)
}

/**
 * The token server (the same endpoints and options as `createTokenServer`) as a Node request
 * listener. Throws `ConfigurationError` on invalid options.
 */
export function createNodeTokenServer(options: NodeTokenServerOptions): NodeTokenServerListener {
  const server = resolveOptions(options)
  const { clientAddress } = options
  const routes: ReadonlySet<string> = new Set(Object.values(server.paths))
  return (req, res, next) => {
    const request = new NodeTokenRequest(req, routes, clientAddress)
    if (typeof next === 'function' && !routes.has(request.path)) return next()
    answerTokenServerRequest(server, request)
      .then((answer) => send(res, answer))
      // Last resort (a failure writing the answer): never a hanging client.
      .catch(() => res.destroy())
  }
}
