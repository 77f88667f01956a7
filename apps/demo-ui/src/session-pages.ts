/**
 * The demos' "Where you are signed in" page, as one Web handler on the core's session management:
 * the user's sessions (browser, created, last seen), a button to end each other one, and "sign
 * out everywhere (else)". Each demo routes `/sessions` and `/sessions/*` here for a signed-in user.
 * Ending sessions needs a same-origin POST (the core checks the browser's `Sec-Fetch-Site` /
 * `Origin`), which these forms are.
 */
import { type Auth, isAuthError, type SessionSummary } from '@org/auth-core'
import { type DemoPaths, escapeHtml, layout } from './pages.js'

export interface SessionPagesOptions {
  /** The demo's name, shown in the footer. */
  demo: string
  /** The demo's web login (with a `session.store` that indexes sessions by user). */
  auth: Auth
  paths: DemoPaths
}

const SESSIONS = '/sessions'

const time = (seconds: number | undefined) =>
  seconds === undefined ? '—' : new Date(seconds * 1000).toISOString().replace('T', ' ').slice(0, 19)

function row(session: SessionSummary): string {
  const end = session.current
    ? '<em>this browser</em>'
    : `<form method="post" action="${SESSIONS}/revoke"><input type="hidden" name="handle" value="${escapeHtml(session.handle)}"><button type="submit" class="revoke">End</button></form>`
  return `<tr class="session${session.current ? ' current' : ''}"><td>${escapeHtml(session.userAgent ?? 'unknown browser')}</td>
<td>${time(session.createdAt)}</td><td>${time(session.lastSeenAt)}</td><td>${end}</td></tr>`
}

export function createSessionPages(options: SessionPagesOptions): (request: Request) => Promise<Response> {
  const { auth, demo, paths } = options
  const page = (body: string, status = 200, cookies: readonly string[] = []) => {
    const headers = new Headers({ 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
    for (const cookie of cookies) headers.append('set-cookie', cookie)
    return new Response(layout('Where you are signed in', demo, body), { status, headers })
  }
  const back = (cookies: readonly string[] = [], to = SESSIONS) => {
    const headers = new Headers({ location: to })
    for (const cookie of cookies) headers.append('set-cookie', cookie)
    return new Response(null, { status: 303, headers })
  }

  async function overview(request: Request): Promise<Response> {
    const sessions = await auth.listSessions(request)
    if (sessions === null) return back([], paths.login)
    return page(`<table id="sessions"><thead><tr><th>Browser</th><th>Signed in</th><th>Last seen</th><th></th></tr></thead>
<tbody>${sessions.map(row).join('\n')}</tbody></table>
<form method="post" action="${SESSIONS}/revoke-all"><input type="hidden" name="keep" value="current"><button type="submit" id="revoke-others">Sign out everywhere else</button></form>
<form method="post" action="${SESSIONS}/revoke-all"><button type="submit" id="revoke-all">Sign out everywhere</button></form>`)
  }

  async function handle(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname
    if (request.method === 'GET' && (path === SESSIONS || path === `${SESSIONS}/`)) return overview(request)
    if (request.method !== 'POST') return page('<p id="error">Not found.</p>', 404)
    const form = await request.formData()
    if (path === `${SESSIONS}/revoke`) {
      await auth.revokeSession(request, String(form.get('handle') ?? ''))
      return back()
    }
    if (path === `${SESSIONS}/revoke-all`) {
      const { cookies } = await auth.revokeAllSessions(request, {
        keepCurrent: form.get('keep') === 'current',
      })
      return back(cookies, cookies.length > 0 ? '/' : SESSIONS)
    }
    return page('<p id="error">Not found.</p>', 404)
  }

  return async (request) => {
    try {
      return await handle(request)
    } catch (error) {
      if (!isAuthError(error)) throw error
      // Cross-site POSTs, a store that is down, a demo started without a store: the stable code only.
      const hint =
        error.code === 'ERR_SESSION_STORE_REQUIRED'
          ? '<p>Start the demo with <code>REDIS_URL</code> or <code>DATABASE_URL</code> to keep sessions in a store.</p>'
          : ''
      return page(`<p id="error">Refused: <code>${escapeHtml(error.code)}</code></p>${hint}`, error.status)
    }
  }
}
