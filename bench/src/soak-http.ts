/**
 * The soak's HTTP client: node:http with keep-alive (cheaper per request than fetch, so the load
 * generator stays small next to the servers), a cookie jar per browser, and manual redirects.
 * Every connection goes to 127.0.0.1 whatever the URL's host: the host only becomes the `Host`
 * header (the Next demo names itself `localhost`, and a browser keeps cookies per host).
 */
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http'

/** 5xx answers seen, by the port of the server that gave them (the soak fails on any from a demo). */
export const serverErrors = new Map<string, number>()

/** Keep-alive connections, shared by every worker of one soak (a browser-like pool per origin). */
const agent = new Agent({ keepAlive: true, maxSockets: 64 })
const TIMEOUT_MS = 15_000

export interface HttpResponse {
  /** 0 when the request failed without an answer (refused, reset, timed out). */
  status: number
  headers: IncomingHttpHeaders
  body: string
  /** Why there was no answer, when status is 0. */
  failure?: string
}

export interface HttpRequest {
  method?: 'GET' | 'POST'
  headers?: Record<string, string>
  /** A urlencoded form body (makes the request a form POST). */
  form?: Record<string, string>
}

export function send(url: URL, options: HttpRequest = {}): Promise<HttpResponse> {
  const body = options.form === undefined ? undefined : new URLSearchParams(options.form).toString()
  const headers: Record<string, string> = { host: url.host, ...options.headers }
  if (body !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded'
    headers['content-length'] = String(Buffer.byteLength(body))
  }
  return new Promise((resolve) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: url.port || 80,
        path: `${url.pathname}${url.search}`,
        method: options.method ?? (body === undefined ? 'GET' : 'POST'),
        headers,
        agent,
        timeout: TIMEOUT_MS,
      },
      (res) => {
        if ((res.statusCode ?? 0) >= 500) serverErrors.set(url.port, (serverErrors.get(url.port) ?? 0) + 1)
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        )
        res.on('error', (error) => resolve({ status: 0, headers: {}, body: '', failure: error.message }))
      },
    )
    req.on('timeout', () => req.destroy(new Error(`no answer in ${TIMEOUT_MS} ms`)))
    req.on('error', (error) => resolve({ status: 0, headers: {}, body: '', failure: error.message }))
    req.end(body)
  })
}

/** Closes the idle keep-alive sockets (between demos, so no connection outlives its server). */
export function closeIdleConnections(): void {
  agent.destroy()
}

/** One browser's cookies, per host (no paths or expiry beyond deletion: every site here is ours). */
export class CookieJar {
  readonly #hosts = new Map<string, Map<string, string>>()

  /** Stores the response's Set-Cookie lines; returns the names it set or deleted. */
  store(url: URL, response: HttpResponse): string[] {
    const lines = response.headers['set-cookie'] ?? []
    if (lines.length === 0) return []
    let cookies = this.#hosts.get(url.host)
    if (cookies === undefined) {
      cookies = new Map()
      this.#hosts.set(url.host, cookies)
    }
    const names: string[] = []
    for (const line of lines) {
      const pair = line.split(';', 1)[0] ?? ''
      const eq = pair.indexOf('=')
      if (eq <= 0) continue
      const name = pair.slice(0, eq).trim()
      const value = pair.slice(eq + 1).trim()
      const expired = /;\s*expires=Thu, 01 Jan 1970/i.test(line) || /;\s*max-age=0\b/i.test(line)
      if (value === '' || expired) cookies.delete(name)
      else cookies.set(name, value)
      names.push(name)
    }
    return names
  }

  header(url: URL): string {
    const cookies = this.#hosts.get(url.host)
    return cookies === undefined ? '' : [...cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  }

  /** The cookie's value on that host, if any: the plain cookie, else its chunks `name.0`, `name.1`... joined. */
  get(url: URL, name: string): string | undefined {
    const cookies = this.#hosts.get(url.host)
    const plain = cookies?.get(name)
    if (plain !== undefined || cookies === undefined) return plain
    let joined: string | undefined
    for (let index = 0; cookies.has(`${name}.${index}`); index += 1)
      joined = (joined ?? '') + cookies.get(`${name}.${index}`)
    return joined
  }
}

/** A request with the jar's cookies for the URL's host; the answer's cookies go back into the jar. */
export async function browse(jar: CookieJar, url: URL, options: HttpRequest = {}): Promise<HttpResponse> {
  const cookie = jar.header(url)
  const headers = cookie === '' ? options.headers : { ...options.headers, cookie }
  const response = await send(url, { ...options, ...(headers === undefined ? {} : { headers }) })
  jar.store(url, response)
  return response
}

export function isRedirect(response: HttpResponse): boolean {
  return response.status >= 300 && response.status < 400 && typeof response.headers.location === 'string'
}
