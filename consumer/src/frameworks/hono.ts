/**
 * A Hono app on Node as `npm create hono@latest` lays it out with the `nodejs` template
 * (fixtures/hono: @hono/node-server, tsc, ESM). The user swaps the template's app for the
 * README's: the bearer quickstart (src/app.ts) is served by the template's src/index.ts, the
 * web login (src/login.ts) by a copy of it, src/login-server.ts. The server README's Node token
 * server (`@org/auth-server/node`) runs as src/token-server.ts.
 */
import { DEMO_CLIENTS } from '@org/dev-idp'
import { verifyNodeApps, verifyTokenServer } from '../node-apps.js'
import { type Edits, Project, placeholders } from '../project.js'
import { placeTokenServer } from '../token-server.js'
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
    const tokenPort = await project.allocatePort('token')
    project.derive('src/index.ts', 'src/login-server.ts', serveReadmeApp('./login.js', loginPort))
    project.edit('src/index.ts', serveReadmeApp('./app.js', apiPort))
    const origin = `http://localhost:${loginPort}`
    // The README's apps `export default app` and listen nowhere: no port to replace in them.
    const runs = ['src/app.ts', 'src/login.ts']
    project.placeReadme('hono', runs, (path) =>
      placeholders({ issuer: ctx.idp.issuer, client: DEMO_CLIENTS.hono, origin, runs: runs.includes(path) }),
    )
    placeTokenServer(project, 'src/token-server.ts', tokenPort)
    return project
  },

  async install(project, ctx) {
    await project.install([ctx.tarballs.core, ctx.tarballs.hono, ctx.tarballs.server])
  },

  async build(project) {
    await project.npm(['run', 'build'])
  },

  async verify(project, ctx) {
    await verifyNodeApps(project, ctx, {
      api: { script: 'dist/index.js', label: 'template serving the README quickstart' },
      login: { script: 'dist/login-server.js', label: 'README web login' },
    })
    await verifyTokenServer(project, 'token', {
      script: 'dist/token-server.js',
      label: 'server README Node token server',
    })
  },
}
