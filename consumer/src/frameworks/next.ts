/**
 * A Next.js 16 app as `create-next-app --yes` lays it out (fixtures/next: TypeScript, App
 * Router, Turbopack, Tailwind, the `@/*` alias and its default next.config with Cache
 * Components). The README's files go where their first comment line says, `next build` and
 * `next start` run as the project's scripts do.
 */
import { join } from 'node:path'
import { DEMO_CLIENTS } from '@org/dev-idp'
import { start } from '../exec.js'
import { mockGoogleFonts } from '../next-fonts.js'
import { Project, placeholders } from '../project.js'
import { checkBearer, checkLogin } from '../smoke.js'
import { step } from '../steps.js'
import type { CheckContext, Framework } from './types.js'

/** The quickstart's four files, and the route handlers the smoke test calls. */
const RUN = [
  'lib/auth.ts',
  'app/api/auth/[...auth]/route.ts',
  'proxy.ts',
  'app/account/page.tsx',
  'app/api/notes/[id]/route.ts',
  'app/api/me/route.ts',
]

/** `.env.local` of the user: what the README reads from `process.env`. */
function secrets(ctx: CheckContext): Record<string, string> {
  return { AUTH_CLIENT_SECRET: DEMO_CLIENTS.next.clientSecret, SESSION_SECRET: ctx.sessionSecret }
}

export const next: Framework = {
  name: 'next',
  title: 'Next.js 16, App Router, Turbopack, Cache Components (create-next-app --yes)',

  async prepare(ctx: CheckContext): Promise<Project> {
    const project = Project.create('next', ctx.root)
    const port = await project.allocatePort('app')
    // Next reports loopback hosts as `localhost`, the origin the README's local-development note names.
    const origin = `http://localhost:${port}`
    project.placeReadme('next', RUN, (path) =>
      placeholders({
        issuer: ctx.idp.issuer,
        client: DEMO_CLIENTS.next,
        origin,
        runs: path === 'lib/auth.ts',
      }),
    )
    return project
  },

  async install(project, ctx) {
    await project.install([ctx.tarballs.core, ctx.tarballs.next])
  },

  async build(project, ctx) {
    const fonts = await mockGoogleFonts(
      project.dir,
      project.read('app/layout.tsx'),
      join(ctx.root, 'next-fonts.cjs'),
    )
    try {
      // Without the secrets: the README says they are needed at run time only (CI builds lack them).
      await project.npm(['run', 'build'], { NEXT_TELEMETRY_DISABLED: '1', ...fonts.env })
    } finally {
      await fonts.close()
    }
  },

  async verify(project, ctx) {
    const port = project.port('app')
    const app = await step('next start', () =>
      start('npm', ['start', '--', '-p', String(port)], {
        cwd: project.dir,
        port,
        probePath: '/',
        readyOutput: /Ready in/,
        env: { NEXT_TELEMETRY_DISABLED: '1', ...secrets(ctx) },
      }),
    )
    try {
      await checkBearer(app, ctx.idp, {
        read: { method: 'GET', path: '/api/notes/1' },
        write: { method: 'DELETE', path: '/api/notes/1' },
        writeStatus: 204,
      })
      await checkLogin(app, ctx.idp, { login: '/api/auth/login', page: '/account' })
    } finally {
      await app.stop()
    }
  },
}
