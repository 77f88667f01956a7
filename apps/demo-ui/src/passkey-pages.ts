/**
 * The demos' passkeys page, as one Web handler every demo routes `/passkeys` and `/passkeys/*`
 * to: the page (register, sign in by button or autofill, approve a transaction text, step up,
 * list, rename, delete), its script and @simplewebauthn/browser's bundle, and the JSON routes of
 * `createSessionPasskeyHandler` behind the demo's session. No provider is involved in a passkey
 * sign-in: it writes the demo's session itself (`auth.signIn`).
 */
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { type Auth, MemoryOneTimeStore, type OneTimeStore, type SignInOptions } from '@org/auth-core'
import {
  type CredentialStore,
  createPasskeys,
  createSessionPasskeyHandler,
  MemoryCredentialStore,
  type Passkeys,
} from '@org/auth-passkeys'
import { type DemoPaths, escapeHtml, layout } from './pages.js'
import { PASSKEY_SCRIPT } from './passkey-script.js'

export interface PasskeyPagesOptions {
  /** The demo's name, shown in the footer. */
  demo: string
  /** The demo's web login (or a function giving it: the Next demo's `nextAuth.auth`). */
  auth: Auth | (() => Auth)
  paths: DemoPaths
  /** Where the passkeys are kept (the demo's stores: `demoPasskeys(settings)`). Default: this process's memory. */
  credentials?: CredentialStore | undefined
  /** Where challenges are recorded (the demo's one-time store). Default: this process's memory. */
  challenges?: OneTimeStore | undefined
  /**
   * The public origin (APP_BASE_URL). Without it, like the web login, the demo serves passkeys on
   * whichever loopback origin it is opened on, `http://localhost:<port>` (browsers refuse an IP
   * address as the relying party id, so not on 127.0.0.1).
   */
  baseUrl?: string | undefined
}

const BASE = '/passkeys'

/** @simplewebauthn/browser's single-file bundle (it defines `SimpleWebAuthnBrowser`), read once. */
let library: Promise<string> | undefined
function browserLibrary(): Promise<string> {
  library ??= (async () => {
    // From this module, else from the app's directory (Next bundles this module elsewhere).
    for (const base of [import.meta.url, join(process.cwd(), 'package.json')]) {
      try {
        const entry = createRequire(base).resolve('@simplewebauthn/browser')
        return await readFile(join(entry, '../../dist/bundle/index.umd.min.js'), 'utf8')
      } catch {}
    }
    throw new Error('@simplewebauthn/browser is not installed')
  })()
  return library
}

/**
 * A script, with headers made for this response: @hono/node-server's lightweight `Response` writes
 * its `Content-Length` into the init object it is given, so a shared one would give the next script
 * the previous one's length.
 */
function script(text: string): Response {
  return new Response(text, {
    headers: { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' },
  })
}

function isLoopbackLocalhost(origin: string): boolean {
  return new URL(origin).hostname === 'localhost'
}

function html(body: string, status = 200): Response {
  return new Response(body, {
    status,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
  })
}

function signedOutPage(demo: string, paths: DemoPaths): string {
  return layout(
    'Passkeys',
    demo,
    `<p id="signed-out">You are signed out. Sign in with a passkey (no identity provider involved), or <a href="${escapeHtml(paths.login)}">log in</a>.</p>
<form id="passkey-autofill" onsubmit="return false"><label>Username <input id="passkey-username" name="username" autocomplete="username webauthn"></label></form>
<p><button type="button" id="passkey-signin">Sign in with a passkey</button></p>
<p id="passkey-status" role="status"></p>`,
  )
}

function signedInPage(
  demo: string,
  paths: DemoPaths,
  user: { sub: string; amr?: unknown; auth_time?: unknown },
): string {
  return layout(
    'Passkeys',
    demo,
    `<p id="signed-in">Signed in as <code id="sub">${escapeHtml(user.sub)}</code>, by <code id="amr">${escapeHtml(JSON.stringify(user.amr ?? []))}</code>.</p>
<p><button type="button" id="passkey-register">Add a passkey</button>
<button type="button" id="passkey-step-up">Confirm it's you (step-up)</button></p>
<h2>Approve a transaction</h2>
<p><label>Text <input id="tx-text" value="Pay $5 to Bob?" maxlength="200"></label> <button type="button" id="tx-approve">Approve with a passkey</button></p>
<p id="tx-result"></p>
<h2>Your passkeys</h2>
<ul id="passkey-list"></ul>
<p id="passkey-status" role="status"></p>
<form method="post" action="${escapeHtml(paths.logout)}"><button type="submit" id="logout">Log out</button></form>`,
  )
}

/** The handler of `/passkeys` and `/passkeys/*` for a demo. */
export function createPasskeyPages(options: PasskeyPagesOptions): (request: Request) => Promise<Response> {
  const { demo, paths } = options
  const authOf = typeof options.auth === 'function' ? options.auth : () => options.auth as Auth
  const challenges = options.challenges ?? new MemoryOneTimeStore()
  const credentials = options.credentials ?? new MemoryCredentialStore()
  // Whom a passkey signs in: the profile claims the user had when their session last used this page.
  const directory = new Map<string, SignInOptions['user']>()
  const handlers = new Map<string, (request: Request) => Promise<Response>>()

  /** The relying party for an origin: the configured one, or a loopback `localhost` one. */
  function handlerFor(origin: string): ((request: Request) => Promise<Response>) | undefined {
    if (
      options.baseUrl !== undefined
        ? origin !== new URL(options.baseUrl).origin
        : !isLoopbackLocalhost(origin)
    ) {
      return undefined
    }
    let handler = handlers.get(origin)
    if (handler === undefined) {
      const passkeys: Passkeys = createPasskeys({
        rpId: new URL(origin).hostname,
        rpName: `@org/auth ${demo}`,
        origins: [origin],
        credentials,
        challenges,
      })
      handler = createSessionPasskeyHandler(authOf, passkeys, {
        user: (session) => {
          const { sub, name, email } = session.user
          directory.set(sub, {
            sub,
            ...(typeof name === 'string' ? { name } : {}),
            ...(typeof email === 'string' ? { email } : {}),
          })
          const label = typeof email === 'string' ? email : typeof name === 'string' ? name : sub
          return { id: sub, name: label, ...(typeof name === 'string' ? { displayName: name } : {}) }
        },
        claims: (userId) => directory.get(userId) ?? { sub: userId },
      })
      handlers.set(origin, handler)
    }
    return handler
  }

  return async (request) => {
    const url = new URL(request.url)
    if (request.method === 'GET' && url.pathname === `${BASE}/client.js`) {
      return script(PASSKEY_SCRIPT)
    }
    if (request.method === 'GET' && url.pathname === `${BASE}/webauthn.js`) {
      return script(await browserLibrary())
    }
    const handler = handlerFor(url.origin)
    if (request.method === 'GET' && (url.pathname === BASE || url.pathname === `${BASE}/`)) {
      if (handler === undefined) {
        const local = new URL(url)
        local.hostname = 'localhost'
        return html(
          layout(
            'Passkeys',
            demo,
            `<p>Passkeys need a domain name: open <a href="${escapeHtml(local.href)}">${escapeHtml(local.href)}</a>.</p>`,
          ),
        )
      }
      const session = await authOf().getSession(request)
      const body = session === null ? signedOutPage(demo, paths) : signedInPage(demo, paths, session.user)
      return html(
        body.replace(
          '</body>',
          `<script src="${BASE}/webauthn.js"></script><script type="module" src="${BASE}/client.js"></script></body>`,
        ),
      )
    }
    if (handler === undefined) {
      return Response.json(
        { error: 'not_found', error_description: 'Passkeys are not served on this origin' },
        { status: 404 },
      )
    }
    return handler(request)
  }
}

/** What a demo's passkeys page takes from its settings: the stores and the public origin. */
export type DemoPasskeys = Pick<PasskeyPagesOptions, 'credentials' | 'challenges' | 'baseUrl'>

/** The passkey stores and origin of a demo's settings (`demoSettings`). */
export function demoPasskeys(settings: {
  stores: { credentials: CredentialStore; oneTime: OneTimeStore | undefined }
  auth: { baseUrl?: string | undefined }
}): DemoPasskeys {
  return {
    credentials: settings.stores.credentials,
    challenges: settings.stores.oneTime,
    baseUrl: settings.auth.baseUrl,
  }
}
