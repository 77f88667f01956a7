/**
 * NestJS projects as `nest new` lays them out, with npm: Nest 11 (@nestjs/cli 11: CommonJS,
 * Jest + ts-jest) and Nest 12 (@nestjs/cli 12, today's default: ESM, Vitest). The README's
 * quickstart replaces src/main.ts; its login module runs through a copy of the generated
 * bootstrap (overlay src/login.main.ts); an overlay spec drives the guard under `npm test`.
 */
import { cpSync } from 'node:fs'
import { join } from 'node:path'
import { DEMO_CLIENTS } from '@org/dev-idp'
import { CommandError } from '../exec.js'
import { verifyNodeApps } from '../node-apps.js'
import { FIXTURES } from '../paths.js'
import { Project, placeholders } from '../project.js'
import { issueTokens } from '../smoke.js'
import { check } from '../steps.js'
import type { CheckContext, Framework } from './types.js'

function nestProject(name: 'nest11' | 'nest12', title: string): Framework {
  return {
    name,
    title,

    async prepare(ctx: CheckContext): Promise<Project> {
      const project = Project.create(name, ctx.root)
      // The guard spec is the same for both projects (Jest and Vitest share describe/it/expect).
      cpSync(join(FIXTURES, 'nest-shared', 'auth.spec.ts'), join(project.dir, 'src', 'auth.spec.ts'))
      const apiPort = await project.allocatePort('api')
      const loginPort = await project.allocatePort('login')
      const origin = `http://localhost:${loginPort}`
      project.placeReadme('nest', ['src/main.ts', 'src/login.module.ts'], (path) => {
        if (path === 'src/main.ts') return placeholders({ issuer: ctx.idp.issuer, port: apiPort })
        return placeholders({
          issuer: ctx.idp.issuer,
          client: DEMO_CLIENTS.nest,
          origin,
          runs: path === 'src/login.module.ts',
        })
      })
      return project
    },

    async install(project, ctx) {
      await project.install([ctx.tarballs.core, ctx.tarballs.nest])
    },

    async build(project) {
      await project.npm(['run', 'build'])
    },

    async verify(project, ctx) {
      await check('npm test (the generated spec and the overlay spec using AuthGuard)', async () => {
        const tokens = await issueTokens(ctx.idp)
        const output = await project.npm(['test'], {
          CONSUMER_ISSUER: ctx.idp.issuer,
          CONSUMER_TOKEN_READ: tokens.read,
          CONSUMER_TOKEN_READ_WRITE: tokens.readWrite,
        })
        // A runner that found no such spec would pass too: the guard spec must have run.
        if (!/auth\.spec\.ts/.test(output))
          throw new CommandError('npm test did not run src/auth.spec.ts', output)
      })
      await verifyNodeApps(project, ctx, {
        api: { script: 'dist/main.js', label: 'README quickstart', probePath: '/health' },
        login: {
          script: 'dist/login.main.js',
          label: 'README login module',
          env: { PORT: String(project.port('login')) },
        },
      })
    },
  }
}

export const nest11 = nestProject('nest11', 'NestJS 11, CommonJS, Jest + ts-jest (nest new, @nestjs/cli 11)')
export const nest12 = nestProject('nest12', 'NestJS 12, ESM, Vitest (nest new, @nestjs/cli 12)')
