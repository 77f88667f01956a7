/**
 * Re-records a fixture: runs the framework's generator as its docs say (latest version, npm),
 * then keeps what it wrote minus node_modules, the lockfile and build output, in
 * fixtures/<name>/generated, and rewrites fixtures/<name>/README.md with the command and versions.
 *
 *   pnpm --filter @org/consumer-check regenerate [express] [hono] [nest11] [nest12] [next]
 *
 * Needs the network (the npm registry; create-hono also fetches its template from GitHub: with
 * HONO_STARTER_TARBALL=<a tarball of github.com/honojs/starter at the v<major>.<minor> branch>
 * it runs offline from that file instead). Review the diff: the check's edits of the generated
 * files (consumer/src/frameworks) fail loudly when the output they expect has changed.
 */
import { execFileSync } from 'node:child_process'
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { projectEnv } from './exec.js'
import { FIXTURES } from './paths.js'

interface Generator {
  /** The folder the generator creates (it becomes the generated package's name). */
  dir: string
  /** What the fixture is, for its README. */
  title: string
  /** The packages whose versions the README records (the first one is the generator). */
  versions: string[]
  /** The shell commands, run in an empty temporary folder; `{v:pkg}` is the version of pkg. */
  commands: string[]
  /** What the check does on top (README paragraph). */
  notes: string
}

const GENERATORS: Record<string, Generator> = {
  express: {
    dir: 'express-app',
    title: 'An Express 5 app in TypeScript, set up the way the Express and TypeScript docs start one',
    versions: ['typescript', 'express', '@types/express'],
    commands: [
      'mkdir express-app',
      'cd express-app && npm init -y',
      'cd express-app && npm install express',
      'cd express-app && npm install -D typescript @types/express @types/node',
      'cd express-app && npx tsc --init',
    ],
    notes:
      'The check then makes the edits a user makes for an ESM Express app: `"type": "module"` (the README code uses `import`, which `tsc --init`\'s `verbatimModuleSyntax` refuses in a CommonJS package, TS1286), `"build": "tsc"`, and the commented-out `rootDir`/`outDir` and `"types": ["node"]` lines of the generated tsconfig.json.',
  },
  hono: {
    dir: 'hono-app',
    title: "A Hono app on Node.js (`@hono/node-server`), from create-hono's `nodejs` template",
    versions: ['create-hono'],
    commands: ['npm create --yes hono@{v:create-hono} hono-app -- --template nodejs --pm npm --install'],
    notes:
      "create-hono copies the template from github.com/honojs/starter (`templates/nodejs` on the branch named after its minor version, `v0.19` for 0.19.x). The check replaces the template's app in src/index.ts by an import of the README's (src/app.ts), and serves the README's web login (src/login.ts) through a copy of that file (src/login-server.ts).",
  },
  nest11: {
    dir: 'nest11-app',
    title: 'A NestJS 11 project: CommonJS, Jest + ts-jest',
    versions: ['@nestjs/cli@11'],
    commands: ['npx --yes @nestjs/cli@{v:@nestjs/cli@11} new nest11-app --package-manager npm --skip-git'],
    notes:
      "The README's quickstart replaces src/main.ts. overlay/ adds src/login.main.ts (the generated bootstrap, for the README's login module) ; the check places ../nest-shared/auth.spec.ts as src/auth.spec.ts (a spec using the global AuthGuard, run by the project's `npm test`).",
  },
  nest12: {
    dir: 'nest-app',
    title: 'A NestJS 12 project as `nest new` lays it out today: ESM, Vitest',
    versions: ['@nestjs/cli'],
    commands: ['npx --yes @nestjs/cli@{v:@nestjs/cli} new nest-app --package-manager npm --skip-git'],
    notes:
      "@nestjs/cli 12 also wires `@nestjs/observe` into AppModule (with placeholder keys) and tries `npx @nestjs/skills@latest add`, which wrote nothing here (404 on the registry). The README's quickstart replaces src/main.ts. overlay/ adds src/login.main.ts (the generated bootstrap, for the README's login module) ; the check places ../nest-shared/auth.spec.ts as src/auth.spec.ts (a spec using the global AuthGuard, run by the project's `npm test`).",
  },
  next: {
    dir: 'next-app',
    title:
      "A Next.js 16 app with create-next-app's defaults: TypeScript, App Router, Turbopack, Tailwind, ESLint, `@/*` alias, its next.config (Cache Components on)",
    versions: ['create-next-app'],
    commands: ['npx --yes create-next-app@{v:create-next-app} next-app --yes --use-npm --disable-git'],
    notes:
      "The README's files go to the paths of their markers. The generated layout's `next/font/google` fonts are served by the check (Next's `NEXT_FONT_GOOGLE_MOCKED_RESPONSES` hook and a loopback server), since `next build` would download them from Google.",
  },
}

/** Not recorded: installed packages, lockfiles, build output, and files the generators' own .gitignore leaves out. */
const LEFT_OUT = ['node_modules', 'package-lock.json', '.next', 'next-env.d.ts', 'dist']

function version(spec: string): string {
  const out = execFileSync('npm', ['view', spec, 'version'], { encoding: 'utf8' }).trim().split('\n')
  // `npm view pkg@11 version` lists every match as `pkg@x.y.z 'x.y.z'`: the last is the newest.
  return (out.at(-1) ?? '').replace(/^.*'(.+)'$/, '$1')
}

function seedHonoTemplate(createHono: string): void {
  const tarball = process.env['HONO_STARTER_TARBALL']
  if (!tarball) return
  const [major, minor] = createHono.split('.')
  const cache = join(homedir(), '.cache', 'bluwy-giget', 'gh', 'honojs-starter')
  mkdirSync(cache, { recursive: true })
  copyFileSync(tarball, join(cache, `v${major}.${minor}.tar.gz`))
}

function regenerate(name: string, generator: Generator): void {
  const versions = Object.fromEntries(generator.versions.map((spec) => [spec, version(spec)]))
  const commands = generator.commands.map((command) =>
    command.replace(/\{v:([^}]+)\}/g, (_, spec: string) => versions[spec] ?? spec),
  )
  // Offline, create-hono takes the template from its cache, seeded from the tarball: the same files.
  const offline = name === 'hono' && process.env['HONO_STARTER_TARBALL'] !== undefined
  if (offline) seedHonoTemplate(versions['create-hono'] ?? '')
  const work = mkdtempSync(join(tmpdir(), `org-auth-generate-${name}-`))
  try {
    for (const command of commands) {
      const run = offline ? `${command} --offline` : command
      console.log(`$ ${run}`)
      execFileSync('sh', ['-c', run], {
        cwd: work,
        stdio: ['ignore', 'inherit', 'inherit'],
        env: projectEnv(),
      })
    }
    const target = join(FIXTURES, name, 'generated')
    rmSync(target, { recursive: true, force: true })
    cpSync(join(work, generator.dir), target, {
      recursive: true,
      filter: (source) => !LEFT_OUT.some((left) => source.endsWith(`/${left}`)),
    })
    const date = new Date().toISOString().slice(0, 10)
    writeFileSync(
      join(FIXTURES, name, 'README.md'),
      `# Fixture \`${name}\`

${generator.title}. \`generated/\` is exactly what the generator wrote on ${date}, minus ${LEFT_OUT.map((left) => `\`${left}\``).join(', ')}.

Versions: ${Object.entries(versions)
        .map(([spec, v]) => `${spec.replace(/@\d+$/, '')} ${v}`)
        .join(
          ', ',
        )}; Node ${process.versions.node}, npm ${execFileSync('npm', ['--version'], { encoding: 'utf8' }).trim()}.

\`\`\`sh
${commands.join('\n')}
\`\`\`

${generator.notes}

Regenerate with \`pnpm --filter @org/consumer-check regenerate ${name}\` (see consumer/README.md).
`,
    )
    console.log(`fixtures/${name}/generated recorded`)
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

const names = process.argv.slice(2)
for (const name of names.length > 0 ? names : Object.keys(GENERATORS)) {
  const generator = GENERATORS[name]
  if (generator === undefined) {
    console.error(`unknown fixture ${name}: one of ${Object.keys(GENERATORS).join(', ')}`)
    process.exit(2)
  }
  regenerate(name, generator)
}
