/**
 * What the token server reads of a request, whatever carried it: the Web handler (server.ts) wraps
 * a `Request`, the Node listener (node-listener.ts) an `IncomingMessage` without building a Web
 * `Request` (a fifth of the server's CPU under load, measured by `pnpm bench:token`). Everything
 * between (routes, authentication, DPoP, introspection) is written once against this view.
 */

/** The only headers the server reads. */
export type TokenServerHeader = 'authorization' | 'content-type' | 'content-length' | 'dpop'

export interface TokenServerRequest {
  readonly method: string
  /** The URL's path (no query), as WHATWG URL parsing gives it. */
  readonly path: string
  /** The header's value as Web `Headers.get` gives it: repeated fields joined by ", "; null when absent. */
  header(name: TokenServerHeader): string | null
  /** The whole body; past `maxBytes` (declared or streamed) a thrown 413 `invalid_request`. */
  body(maxBytes: number): Promise<Uint8Array>
  /** The caller's address for the per-address throttle (the `clientAddress` option), if any. */
  clientAddress(): string | undefined
}
