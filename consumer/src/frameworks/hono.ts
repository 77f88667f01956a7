/**
 * A Hono app on Node as `npm create hono@latest` lays it out with the `nodejs` template
 * (fixtures/hono: @hono/node-server, tsc, ESM). The user swaps the template's app for the
 * README's: the bearer quickstart (src/app.ts) is served by the template's src/index.ts, the
 * web login (src/login.ts) by a copy of it, src/login-server.ts.
 */
import { DEMO_CLIENTS } from '@org/dev-idp'
import { start } from '../exec.js'
import { type Edits, Project, placeholders } from '../project.js'
import { checkBearer, checkLogin } from '../smoke.js'
import { step } from '../steps.js'
import type { CheckContext, Framework } from './types.js'

/** The template's own app replaced by an import of the README's (`./app.js`), on `port`. */
function serveReadmeApp(module: string, port: number): Edits {
  return [
    ["import { Hono } from 'hono'\n", `import app from '${module}'\n`],
    [
      /const app = new Hono\(\)\n\napp\.get\('\/', \(c\) => \{\n\s*return c\.text\('Hello Hono!'\)\n\}\)\n\n/,
      '',
    ],
    ['port: 3000', `port: ${port}`],
  ]
}

export const hono: Framework = {
  name: 'hono',
  title: 'Hono 4 on @hono/node-server + tsc (create-hono nodejs)',

  async prepare(ctx: CheckContext): Promise<Project> {
    const project = Project.create('hono', ctx.root)
    const apiPort = await project.allocatePort('api')
    const loginPort = await project.allocatePort('login')
    project.derive('src/index.ts', 'src/login-server.ts', serveReadmeApp('./login.js', loginPort))
    project.edit('src/index.ts', serveReadmeApp('./app.js', apiPort))
    const origin = `http://localhost:${loginPort}`
    // The README's apps `export default app` and listen nowhere: no port to replace in them.
    const runs = ['src/app.ts', 'src/login.ts']
    project.placeReadme('hono', runs, (path) =>
      placeholders({ issuer: ctx.idp.issuer, client: DEMO_CLIENTS.hono, origin, runs: runs.includes(path) }),
    )
    return project
  },

  async install(project, ctx) {
    await project.install([ctx.tarballs.core, ctx.tarballs.hono])
  },

  async build(project) {
    await project.npm(['run', 'build'])
  },

  async verify(project, ctx) {
    const api = await step('start dist/index.js (template serving the README quickstart)', () =>
      start('node', ['dist/index.js'], { cwd: project.dir, port: project.port('api'), probePath: '/' }),
    )
    try {
      await checkBearer(api, ctx.idp, {
        read: { method: 'GET', path: '/api/profile' },
        write: { method: 'POST', path: '/api/notes' },
        writeStatus: 201,
      })
    } finally {
      await api.stop()
    }
    const login = await step('start dist/login-server.js (README web login)', () =>
      start('node', ['dist/login-server.js'], {
        cwd: project.dir,
        port: project.port('login'),
        probePath: '/',
        env: { SESSION_SECRET: ctx.sessionSecret },
      }),
    )
    try {
      await checkLogin(login, ctx.idp, { login: '/auth/login', page: '/account' })
    } finally {
      await login.stop()
    }
  },
}
