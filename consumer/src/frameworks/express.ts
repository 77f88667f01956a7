/**
 * An Express 5 app in TypeScript as its docs start one: `npm init -y`, `npm install express`,
 * `npm install -D typescript @types/express @types/node`, `npx tsc --init` (fixtures/express).
 * The README's bearer quickstart runs as src/index.ts, its web login as src/login.ts.
 */
import { DEMO_CLIENTS } from '@org/dev-idp'
import { verifyNodeApps } from '../node-apps.js'
import { Project, placeholders } from '../project.js'
import type { CheckContext, Framework } from './types.js'

export const express: Framework = {
  name: 'express',
  title: 'Express 5 + tsc (npm init, tsc --init)',

  async prepare(ctx: CheckContext): Promise<Project> {
    const project = Project.create('express', ctx.root)
    const apiPort = await project.allocatePort('api')
    const loginPort = await project.allocatePort('login')
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
    return project
  },

  async install(project, ctx) {
    await project.install([ctx.tarballs.core, ctx.tarballs.express])
  },

  async build(project) {
    await project.npm(['run', 'build'])
  },

  async verify(project, ctx) {
    await verifyNodeApps(project, ctx, {
      api: { script: 'dist/index.js', label: 'README quickstart' },
      login: { script: 'dist/login.js', label: 'README web login' },
    })
  },
}
