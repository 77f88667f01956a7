/**
 * An Express 5 app in TypeScript as its docs start one: `npm init -y`, `npm install express`,
 * `npm install -D typescript @types/express @types/node`, `npx tsc --init` (fixtures/express).
 * The README's bearer quickstart runs as src/index.ts, its web login as src/login.ts; the server
 * README's Node token server as src/token-server.ts (ESM) and, written by the check, as
 * src/token-server-cjs.cts (CommonJS: `@org/auth-server/node`'s `require` entry and `.d.cts`).
 */
import { DEMO_CLIENTS } from '@org/dev-idp'
import { verifyNodeApps, verifyTokenServer } from '../node-apps.js'
import { Project, placeholders } from '../project.js'
import { placeCommonJsTokenServer, placeTokenServer } from '../token-server.js'
import type { CheckContext, Framework } from './types.js'

export const express: Framework = {
  name: 'express',
  title: 'Express 5 + tsc (npm init, tsc --init)',

  async prepare(ctx: CheckContext): Promise<Project> {
    const project = Project.create('express', ctx.root)
    const apiPort = await project.allocatePort('api')
    const loginPort = await project.allocatePort('login')
    const tokenPort = await project.allocatePort('token')
    const tokenCjsPort = await project.allocatePort('token-cjs')
    // The user's edits after `tsc --init`: the README's code is ESM (`import`), which a
    // `"type": "commonjs"` package refuses under the generated `verbatimModuleSyntax` (TS1286);
    // the layout and Node types are the lines `tsc --init` leaves commented out for Node.
    project.editPackageJson((pkg) => {
      pkg['type'] = 'module'
      pkg['scripts'] = { build: 'tsc', start: 'node dist/index.js' }
    })
    project.edit('tsconfig.json', [
      ['// "rootDir": "./src",', '"rootDir": "./src",'],
      ['// "outDir": "./dist",', '"outDir": "./dist",'],
      ['"types": [],', '"types": ["node"],'],
    ])
    const origin = `http://localhost:${loginPort}`
    project.placeReadme('express', ['src/index.ts', 'src/login.ts'], (path) => {
      if (path === 'src/index.ts') return placeholders({ issuer: ctx.idp.issuer, port: apiPort })
      if (path === 'src/login.ts')
        return placeholders({ issuer: ctx.idp.issuer, client: DEMO_CLIENTS.express, origin, port: loginPort })
      return placeholders({ issuer: ctx.idp.issuer, client: DEMO_CLIENTS.express, origin })
    })
    placeTokenServer(project, 'src/token-server.ts', tokenPort)
    placeCommonJsTokenServer(project, 'src/token-server-cjs.cts', tokenCjsPort)
    return project
  },

  async install(project, ctx) {
    await project.install([ctx.tarballs.core, ctx.tarballs.express, ctx.tarballs.server])
  },

  async build(project) {
    await project.npm(['run', 'build'])
  },

  async verify(project, ctx) {
    await verifyNodeApps(project, ctx, {
      api: { script: 'dist/index.js', label: 'README quickstart' },
      login: { script: 'dist/login.js', label: 'README web login' },
    })
    await verifyTokenServer(project, 'token', {
      script: 'dist/token-server.js',
      label: 'server README Node token server, ESM',
    })
    await verifyTokenServer(project, 'token-cjs', {
      script: 'dist/token-server-cjs.cjs',
      label: 'Node token server, CommonJS',
    })
  },
}
