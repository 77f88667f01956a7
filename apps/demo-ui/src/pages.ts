/**
 * The demo apps' pages as HTML strings, so the Express, Hono and Nest demos look and behave the
 * same and the browser tests can drive all of them with one script. Everything interpolated is
 * escaped; the pages load nothing external, and only the passkeys page runs a script (its own).
 */

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (char) => ESCAPES[char] as string)
}

export interface DemoPaths {
  /** The login route, e.g. `/auth/login`. */
  login: string
  /** The logout route (POSTed by the logout button). */
  logout: string
}

export interface SignedInUser {
  sub: string
  name?: unknown
  email?: unknown
  [claim: string]: unknown
}

export function layout(title: string, demo: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · ${escapeHtml(demo)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
pre{background:#f4f4f5;padding:1rem;overflow:auto;border-radius:6px}nav a,nav form{margin-right:1rem}
nav{display:flex;align-items:center}button{font:inherit;cursor:pointer}.status{font-weight:600}</style>
</head><body><nav><a href="/">Home</a><a href="/profile">API calls</a><a href="/mfa">MFA settings</a><a href="/sessions">Sessions</a><a href="/passkeys">Passkeys</a></nav>
<h1>${escapeHtml(title)}</h1>
${body}
<p><small>${escapeHtml(demo)}: a demo of @org/auth, against the local dev identity provider.</small></p>
</body></html>`
}

function logoutButton(paths: DemoPaths): string {
  return `<form method="post" action="${escapeHtml(paths.logout)}"><button type="submit" id="logout">Log out</button></form>`
}

/** Home: a login link when signed out; the user's claims and a logout button when signed in. */
export function homePage(demo: string, paths: DemoPaths, user: SignedInUser | null): string {
  if (user === null) {
    return layout(
      'Welcome',
      demo,
      `<p id="signed-out">You are signed out.</p><p><a id="login" href="${escapeHtml(paths.login)}">Log in</a></p>`,
    )
  }
  const name = typeof user.name === 'string' ? user.name : user.sub
  return layout(
    `Hello, ${name}`,
    demo,
    `<p id="signed-in">Signed in as <code id="sub">${escapeHtml(user.sub)}</code>.</p>
<h2>Your claims</h2><pre id="claims">${escapeHtml(JSON.stringify(user, null, 2))}</pre>
${logoutButton(paths)}`,
  )
}

/** One call the profile page made to the demo's own API with the session's access token. */
export interface ApiCall {
  /** `GET /api/profile`, `POST /api/notes`... */
  label: string
  /** What the call needs, e.g. "any valid token" or "scope write". */
  requires: string
  status: number
  body: unknown
}

/** The page that calls the protected API routes server-side with the session's access token. */
export function profilePage(
  demo: string,
  paths: DemoPaths,
  user: SignedInUser,
  calls: readonly ApiCall[],
): string {
  const rows = calls
    .map(
      (call, index) => `<h2>${escapeHtml(call.label)} <small>(${escapeHtml(call.requires)})</small></h2>
<p>Status: <span class="status" id="status-${index}">${call.status}</span></p>
<pre id="body-${index}">${escapeHtml(JSON.stringify(call.body, null, 2))}</pre>`,
    )
    .join('\n')
  return layout(
    'API calls with your access token',
    demo,
    `<p>The server called its own protected API with the access token of <code>${escapeHtml(user.sub)}</code>'s session
(the token never reaches the browser).</p>
${rows}
${logoutButton(paths)}`,
  )
}

/** The API calls the profile page makes, the same in every demo. */
export const PROFILE_CALLS = [
  { method: 'GET', path: '/api/profile', label: 'GET /api/profile', requires: 'any valid token' },
  { method: 'POST', path: '/api/notes', label: 'POST /api/notes', requires: 'scope write' },
  { method: 'GET', path: '/api/admin', label: 'GET /api/admin', requires: 'scope admin (not granted)' },
] as const

/**
 * Makes the profile page's calls against `origin` with `accessToken` (server-side), reading each
 * answer as JSON (or the status alone when there is no JSON body).
 */
export async function callApis(origin: string, accessToken: string | undefined): Promise<ApiCall[]> {
  return Promise.all(
    PROFILE_CALLS.map(async (call) => {
      const headers: Record<string, string> =
        accessToken === undefined ? {} : { authorization: `Bearer ${accessToken}` }
      const response = await fetch(`${origin}${call.path}`, { method: call.method, headers })
      const text = await response.text()
      let body: unknown = text
      try {
        body = JSON.parse(text)
      } catch {
        // Not JSON: show the text.
      }
      return { label: call.label, requires: call.requires, status: response.status, body }
    }),
  )
}
