/**
 * The checks every Node app of the check gets (Express, Hono, Nest): the README's bearer
 * quickstart (401 / 200 / 403 / write) and its web login, each started from the project's own
 * build output with `node`, checked, and stopped even when a check fails. And a token server of
 * `@org/auth-server/node` compiled in the project (src/token-server.ts).
 */
import { CommandError, type Server, start } from './exec.js'
import type { CheckContext } from './frameworks/types.js'
import type { Project } from './project.js'
import { checkBearer, checkLogin, checkTokenServer } from './smoke.js'
import { step } from './steps.js'
import { SEEDED_CLIENT_LINE, type SeededClient, seededClient, tokenIssuer } from './token-server.js'

export interface NodeApp {
  /** The compiled entry, e.g. `dist/index.js`. */
  script: string
  /** What the step says it starts. */
  label: string
  /** Path polled until the server answers. Default: `/`. */
  probePath?: string
  /** Also wait for this in its output before checking it. */
  readyOutput?: RegExp
  env?: Record<string, string>
}

async function withServer(
  project: Project,
  port: string,
  app: NodeApp,
  fn: (server: Server) => Promise<void>,
) {
  const server = await step(`start ${app.script} (${app.label})`, () =>
    start('node', [app.script], {
      cwd: project.dir,
      port: project.port(port),
      probePath: app.probePath ?? '/',
      ...(app.readyOutput === undefined ? {} : { readyOutput: app.readyOutput }),
      ...(app.env === undefined ? {} : { env: app.env }),
    }),
  )
  try {
    await fn(server)
  } finally {
    await server.stop()
  }
}

/** Runs the bearer checks against `api` and the login checks against `login` (ports `api` and `login`). */
export async function verifyNodeApps(
  project: Project,
  ctx: CheckContext,
  apps: { api: NodeApp; login: NodeApp },
): Promise<void> {
  await withServer(project, 'api', apps.api, (server) =>
    checkBearer(server, ctx.idp, {
      read: { method: 'GET', path: '/api/profile' },
      write: { method: 'POST', path: '/api/notes' },
      writeStatus: 201,
    }),
  )
  await withServer(
    project,
    'login',
    { ...apps.login, env: { SESSION_SECRET: ctx.sessionSecret, ...apps.login.env } },
    (server) => checkLogin(server, ctx.idp, { login: '/auth/login', page: '/account' }),
  )
}

/**
 * Starts a token server program (placed by `placeTokenServer` or `placeCommonJsTokenServer` on
 * port `port`) and checks it once it has printed its seeded client.
 */
export async function verifyTokenServer(project: Project, port: string, app: NodeApp): Promise<void> {
  const issuer = tokenIssuer(project.port(port))
  const started = {
    probePath: '/.well-known/oauth-authorization-server',
    readyOutput: SEEDED_CLIENT_LINE,
    ...app,
  }
  await withServer(project, port, started, async (server) => {
    let client: SeededClient
    try {
      client = seededClient(server.output())
    } catch (error) {
      throw new CommandError(error instanceof Error ? error.message : String(error), server.output())
    }
    await checkTokenServer(server, issuer, client)
  })
}
