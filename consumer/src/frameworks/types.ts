import type { DevIdp } from '@org/dev-idp'
import type { Published } from '../pack.js'
import type { Project } from '../project.js'

/** What every framework's check gets: the running dev IdP and the packed packages. */
export interface CheckContext {
  /** The temporary folder holding every project of this run. */
  root: string
  idp: DevIdp
  tarballs: Record<Published, string>
  /** A fresh `SESSION_SECRET` (32 random bytes, base64), as the READMEs ask for. */
  sessionSecret: string
}

/**
 * One generated project and how it is checked. `prepare` lays it out (fixture, README code,
 * the user's edits), `install` runs npm, `build` the project's own build (and tests), `verify`
 * starts it and smoke-tests it.
 */
export interface Framework {
  /** Also the fixture folder's name. */
  name: string
  /** What the project is, for the summary: `Express 5, tsc (npm init + tsc --init)`. */
  title: string
  prepare(ctx: CheckContext): Promise<Project>
  install(project: Project, ctx: CheckContext): Promise<void>
  build(project: Project, ctx: CheckContext): Promise<void>
  verify(project: Project, ctx: CheckContext): Promise<void>
}
