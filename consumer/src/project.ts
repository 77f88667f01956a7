/**
 * A generated project in a temporary folder: the generator's recorded output
 * (`fixtures/<name>/generated`), the check's own additions (`fixtures/<name>/overlay`), the
 * README's code, and the user's few edits, each asserted so that a regenerated fixture that no
 * longer matches fails loudly instead of silently testing something else.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { DemoClient } from '@org/dev-idp'
import { freePort, run } from './exec.js'
import { log } from './log.js'
import { FIXTURES } from './paths.js'
import { markedBlocks, type Replacement, substitute } from './readme.js'

/** Replacements in a generated file: a string (every occurrence) or a RegExp (as given). */
export type Edits = ReadonlyArray<readonly [find: string | RegExp, replace: string]>

export class Project {
  readonly #ports = new Map<string, number>()

  constructor(
    readonly fixture: string,
    readonly dir: string,
  ) {}

  /** Picks a free port for one of the project's servers (`api`, `login`), once. */
  async allocatePort(name: string): Promise<number> {
    const port = this.#ports.get(name) ?? (await freePort())
    this.#ports.set(name, port)
    return port
  }

  port(name: string): number {
    const port = this.#ports.get(name)
    if (port === undefined) throw new Error(`no port allocated for ${name}`)
    return port
  }

  /** Copies `fixtures/<fixture>/generated` (and its overlay, if any) to `<root>/<fixture>`. */
  static create(fixture: string, root: string): Project {
    const dir = join(root, fixture)
    cpSync(join(FIXTURES, fixture, 'generated'), dir, { recursive: true })
    const overlay = join(FIXTURES, fixture, 'overlay')
    if (existsSync(overlay)) cpSync(overlay, dir, { recursive: true })
    return new Project(fixture, dir)
  }

  path(file: string): string {
    return join(this.dir, file)
  }

  read(file: string): string {
    return readFileSync(this.path(file), 'utf8')
  }

  write(file: string, content: string): void {
    mkdirSync(dirname(this.path(file)), { recursive: true })
    writeFileSync(this.path(file), content)
  }

  /** Literal edits of a generated file; each must apply, or the fixture changed under us. */
  edit(file: string, edits: Edits): void {
    this.derive(file, file, edits)
  }

  /** Writes `to` as the generated `from` with `edits` applied (each must apply). */
  derive(from: string, to: string, edits: Edits): void {
    let text = this.read(from)
    for (const [find, replace] of edits) {
      const found = typeof find === 'string' ? text.includes(find) : find.test(text)
      if (!found) {
        throw new Error(
          `fixtures/${this.fixture}/generated/${from} no longer contains ${String(find)}: the generator's output changed; adapt consumer/src/frameworks`,
        )
      }
      text = typeof find === 'string' ? text.split(find).join(replace) : text.replace(find, replace)
    }
    this.write(to, text)
  }

  /** Edits package.json as a user would with `npm pkg set`. */
  editPackageJson(change: (pkg: Record<string, unknown>) => void): void {
    const pkg = JSON.parse(this.read('package.json')) as Record<string, unknown>
    change(pkg)
    this.write('package.json', `${JSON.stringify(pkg, null, 2)}\n`)
  }

  /**
   * Writes the README blocks of `packages/<pkg>` marked for this project; `required` paths must
   * be among them. Returns the paths written.
   */
  placeReadme(
    pkg: string,
    required: readonly string[],
    replacements: (path: string) => readonly Replacement[],
  ): string[] {
    const blocks = markedBlocks(pkg)
    const missing = required.filter((path) => !blocks.some((block) => block.path === path))
    if (missing.length > 0) {
      throw new Error(
        `packages/${pkg}/README.md has no block marked <!-- consumer: ${missing.join(' -->, <!-- consumer: ')} -->`,
      )
    }
    for (const block of blocks) {
      this.write(block.path, substitute(pkg, block, replacements(block.path)))
      log(`  README packages/${pkg}/README.md:${block.line} → ${block.path}`)
    }
    return blocks.map((block) => block.path)
  }

  /** `npm install` of the generated dependencies plus the packed tarballs, as a user would. */
  async install(tarballs: readonly string[]): Promise<void> {
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...tarballs], {
      cwd: this.dir,
      timeoutMs: 10 * 60_000,
    })
  }

  /** Runs an npm script of the project (`npm run build`, `npm test`). */
  async npm(args: readonly string[], env: Record<string, string> = {}): Promise<string> {
    return run('npm', args, { cwd: this.dir, env })
  }
}

export interface Placeholders {
  issuer: string
  /** The dev IdP's client for this app's login (README: `'my-app'`, `'client-secret-from-the-idp'`). */
  client?: DemoClient
  /** The app's origin (README: `'https://app.example.com'`). */
  origin?: string
  /** The port the README's code listens on (README: `listen(3000)`), which must be there. */
  port?: number
  /** The check runs this block, so it must name the IdP. Default: when it has a `port`. */
  runs?: boolean
}

/** The README's placeholder values, replaced by this run's (quotes included: whole literals only). */
export function placeholders({
  issuer,
  client,
  origin,
  port,
  runs = port !== undefined,
}: Placeholders): Replacement[] {
  const replacements: Replacement[] = [
    { from: "'https://idp.example.com'", to: `'${issuer}'`, required: runs },
  ]
  if (client) {
    replacements.push(
      { from: "'my-app'", to: `'${client.clientId}'` },
      { from: "'client-secret-from-the-idp'", to: `'${client.clientSecret}'` },
    )
  }
  if (origin) replacements.push({ from: "'https://app.example.com'", to: `'${origin}'` })
  if (port !== undefined) replacements.push({ from: 'listen(3000)', to: `listen(${port})`, required: true })
  return replacements
}
