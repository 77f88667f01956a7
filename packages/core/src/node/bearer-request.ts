/**
 * The bearer-check input of a Node request (Express, Nest on Express or Fastify's raw request):
 * method, `Authorization` and `DPoP` headers (every repeated value, so repeats are refused), and
 * the URL as the bridge builds it, from the same `origin` / `trustProxy` settings as the login
 * routes, computed (with the `DPoP` header) only when a DPoP proof is checked.
 */
import type { IncomingMessage } from 'node:http'
import type { BearerRequest } from '../dpop/bearer-request.js'
import { headerValues, warnHostDerivedHtu } from '../dpop/request-input.js'
import { authorizationOf, type NodeLikeRequest } from '../http/node-headers.js'
import { bridgeSettings, originOf, pathOf, type ToWebRequestOptions } from './bridge.js'

/** The settings that decide a request's public URL: see `ToWebRequestOptions`. */
export type NodeBearerRequestOptions = Pick<ToWebRequestOptions, 'origin' | 'trustProxy'>

/** Builds {@link BearerRequest}s for Node requests; options are checked once, here. */
export function nodeBearerRequests(
  options: NodeBearerRequestOptions = {},
): (req: NodeLikeRequest & { method?: string }) => BearerRequest {
  const settings = bridgeSettings({ origin: options.origin, trustProxy: options.trustProxy })
  return (req) => {
    const node = req as unknown as IncomingMessage
    return {
      authorization: authorizationOf(req),
      dpop: () => (req.rawHeaders === undefined ? req.headers['dpop'] : headerValues(req.rawHeaders, 'dpop')),
      method: req.method ?? 'GET',
      url: () => {
        // With `trustProxy` the forwarded host is the application's to vouch for; without either
        // setting it is the client's `Host`.
        if (settings.origin === undefined && !settings.trustProxy) warnHostDerivedHtu()
        return `${originOf(node, headersOf(req), settings)}${pathOf(node)}`
      },
    }
  }
}

function headersOf(req: NodeLikeRequest): { get(name: string): string | null } {
  return {
    get(name) {
      const value = req.headers[name]
      return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value
    },
  }
}
