/**
 * Load generation with autocannon (programmatic API, in the parent process), plus a one-request
 * preflight that checks status and body before a server is measured.
 */
import autocannon from 'autocannon'

export interface LoadOptions {
  url: string
  /** Sent as `Authorization: Bearer <token>`; none for `no-token`. */
  token: string | undefined
  duration: number
  connections: number
  pipelining: number
  /** More request headers (the session bench's `Cookie`). */
  headers?: Record<string, string> | undefined
}

export interface LoadStats {
  requestsPerSecond: number
  latencyMeanMs: number
  latencyP99Ms: number
  totalRequests: number
  non2xx: number
  /** Every response counted by status code. */
  statusCounts: Record<string, number>
  /**
   * Responses with another status than expected, plus connection errors and timeouts; a run
   * with no response at all counts every request sent.
   */
  unexpected: number
  /** Requests sent but not answered when the run ended (at most one per connection is normal). */
  unanswered: number
  errors: number
  timeouts: number
}

function headersFor(token: string | undefined): Record<string, string> {
  return token === undefined ? {} : { authorization: `Bearer ${token}` }
}

export async function fire(options: LoadOptions): Promise<autocannon.Result> {
  return autocannon({
    url: options.url,
    connections: options.connections,
    pipelining: options.pipelining,
    duration: options.duration,
    headers: { ...headersFor(options.token), ...options.headers },
    timeout: 10,
  })
}

export function summarize(result: autocannon.Result, expectedStatus: number): LoadStats {
  const statusCounts: Record<string, number> = {}
  let unexpected = result.errors + result.timeouts
  let answered = 0
  for (const [status, stats] of Object.entries(result.statusCodeStats ?? {})) {
    const count = stats?.count ?? 0
    statusCounts[status] = count
    answered += count
    if (Number(status) !== expectedStatus) unexpected += count
  }
  const unanswered = Math.max(0, result.requests.sent - answered)
  if (answered === 0) unexpected += Math.max(1, result.requests.sent)
  return {
    requestsPerSecond: result.requests.mean,
    latencyMeanMs: result.latency.mean,
    latencyP99Ms: result.latency.p99,
    totalRequests: result.requests.total,
    non2xx: result.non2xx,
    statusCounts,
    unexpected,
    unanswered,
    errors: result.errors,
    timeouts: result.timeouts,
  }
}

export interface Preflight {
  status: number
  body: string
  /** Empty when the answer is as expected. */
  problem: string | undefined
}

/** One request: the expected status, and for a 200 the expected `sub` in a JSON body. */
export async function preflight(
  url: string,
  token: string | undefined,
  expectedStatus: number,
  expectedSubject: string,
): Promise<Preflight> {
  const response = await fetch(url, { headers: headersFor(token) })
  const body = await response.text()
  let problem: string | undefined
  if (response.status !== expectedStatus) {
    problem = `status ${response.status}, expected ${expectedStatus}`
  } else if (expectedStatus === 200) {
    let sub: unknown
    try {
      sub = (JSON.parse(body) as { sub?: unknown }).sub
    } catch {
      sub = undefined
    }
    if (sub !== expectedSubject) problem = `body ${body.slice(0, 120)} lacks sub "${expectedSubject}"`
  }
  return { status: response.status, body: body.slice(0, 500), problem }
}
