#!/usr/bin/env node
// The packages as users install them: `pnpm pack` each published package (publishConfig applied),
// unpack the tarballs into a temporary project's node_modules, then on Node:
// - require() every entry from CommonJS, with require(esm) switched off (as in Jest's module
//   system, a `nest new` project's tests), so nothing in the CommonJS graph may be ESM;
// - import() every entry from ESM, and compare both exports lists;
// - load the ESM and CommonJS builds in one process and check that errors, `instanceof` and the
//   adapters' handling work across the two copies;
// - type-check a small consumer under moduleResolution node10 (module commonjs), node16/nodenext
//   from CommonJS (as `nest new` emits) and from ESM, and bundler.
// Third-party dependencies are linked from the workspace, so the check needs no network.
import { execFile } from 'node:child_process'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { CONSUMER, DUAL_CHECK, PROJECTS } from './installed-fixtures.mjs'

const run = promisify(execFile)
const root = new URL('..', import.meta.url).pathname
const PACKAGES = ['cli', 'core', 'express', 'hono', 'nest', 'next', 'passkeys', 'postgres', 'redis', 'server']
// Types a consumer of these packages has installed beside them (express ships none).
const TYPES = [
  ['core', '@types/node'],
  ['express', '@types/express'],
  ['next', '@types/react'],
  ['postgres', '@types/pg'],
]
const started = performance.now()
const lap = (label, since) => console.log(`${label} (${((performance.now() - since) / 1000).toFixed(1)} s)`)

const work = mkdtempSync(join(tmpdir(), 'org-auth-installed-'))
let failed = false
try {
  const app = join(work, 'app')
  const modules = join(app, 'node_modules')
  mkdirSync(modules, { recursive: true })

  // 1. Pack and unpack.
  let since = performance.now()
  const manifests = await Promise.all(
    PACKAGES.map(async (name) => {
      const dir = join(root, 'packages', name)
      const destination = join(work, 'tarballs', name)
      mkdirSync(destination, { recursive: true })
      await run('pnpm', ['pack', '--pack-destination', destination], { cwd: dir })
      const tarball = readdirSync(destination).find((file) => file.endsWith('.tgz'))
      if (tarball === undefined) throw new Error(`pnpm pack produced no tarball for ${name}`)
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
      const target = join(modules, manifest.name)
      mkdirSync(target, { recursive: true })
      await run('tar', ['-xzf', join(destination, tarball), '-C', target, '--strip-components=1'])
      return { name, dir, installed: JSON.parse(readFileSync(join(target, 'package.json'), 'utf8')) }
    }),
  )
  // 2. Link what the tarballs depend on (dependencies and peers) from the workspace's installs.
  const link = (from, dependency) => {
    const target = join(modules, dependency)
    if (existsSync(target)) return
    mkdirSync(dirname(target), { recursive: true })
    symlinkSync(realpathSync(join(from, 'node_modules', dependency)), target, 'dir')
  }
  for (const { dir, installed } of manifests) {
    for (const dependency of Object.keys({ ...installed.dependencies, ...installed.peerDependencies })) {
      if (!dependency.startsWith('@org/')) link(dir, dependency)
    }
  }
  for (const [name, dependency] of TYPES) link(join(root, 'packages', name), dependency)
  const specifiers = manifests.flatMap(({ installed }) =>
    Object.keys(installed.exports)
      .filter((path) => path !== './package.json')
      .map((path) => installed.name + path.slice(1)),
  )
  lap(`packed and installed ${manifests.length} packages: ${specifiers.length} entries`, since)

  // 3. Node: require() from CommonJS without require(esm), import() from ESM, the same exports.
  since = performance.now()
  const list = (loader) =>
    `const specifiers = ${JSON.stringify(specifiers)}\nconst lists = {}\n` +
    `for (const specifier of specifiers) lists[specifier] = Object.keys(${loader}(specifier)).sort()\n` +
    'console.log(JSON.stringify(lists))\n'
  writeFileSync(join(app, 'require-all.cjs'), `require('reflect-metadata')\n${list('require')}`)
  writeFileSync(join(app, 'import-all.mjs'), `import 'reflect-metadata'\n${list('await import')}`)
  // @org/auth-next imports `next/headers`, `next/navigation`, `next/server` bare, as every bundler
  // resolves them (Turbopack refuses `next/navigation.js`); Node's own ESM loader wants the `.js`
  // that Next has no exports map to add. Next apps are always bundled, so the ESM import is checked
  // under the bundlers' resolution: this hook maps `next/<name>` to `next/<name>.js`, nothing else.
  const nextHook =
    'export async function resolve(specifier, context, next) {' +
    " return next(/^next\\/[a-z-]+$/.test(specifier) ? specifier + '.js' : specifier, context) }"
  writeFileSync(
    join(app, 'next-resolution.mjs'),
    `import { register } from 'node:module'\nregister(${JSON.stringify(`data:text/javascript,${encodeURIComponent(nextHook)}`)})\n`,
  )
  const [cjs, esm] = await Promise.all([
    run(process.execPath, ['--no-experimental-require-module', 'require-all.cjs'], { cwd: app }).catch(
      (e) => e,
    ),
    run(process.execPath, ['--import', './next-resolution.mjs', 'import-all.mjs'], { cwd: app }).catch(
      (e) => e,
    ),
  ])
  for (const [label, result] of [
    ['require()', cjs],
    ['import()', esm],
  ]) {
    if (result.code !== undefined && result.code !== 0) {
      failed = true
      console.log(`FAIL ${label} of the entries:\n${result.stderr}`)
    }
  }
  const required = cjs.code ? {} : JSON.parse(cjs.stdout)
  const imported = esm.code ? {} : JSON.parse(esm.stdout)
  for (const specifier of specifiers) {
    if (required[specifier] === undefined || imported[specifier] === undefined) continue
    const same = JSON.stringify(required[specifier]) === JSON.stringify(imported[specifier])
    if (!same) failed = true
    console.log(
      `${same ? 'ok  ' : 'FAIL'} ${specifier}: require() and import() give ${required[specifier].length}` +
        (same ? ' exports' : ` and ${imported[specifier].length} different exports`),
    )
  }
  if (!failed && (cjs.stderr.trim() !== '' || esm.stderr.trim() !== '')) {
    failed = true
    console.log(`FAIL warnings while loading:\n${cjs.stderr}${esm.stderr}`)
  }
  lap('node: every entry loads from CommonJS (require(esm) off) and from ESM', since)

  // 4. Both builds in one process (the dual-package hazard).
  since = performance.now()
  writeFileSync(join(app, 'dual.mjs'), DUAL_CHECK)
  const dual = await run(process.execPath, ['dual.mjs'], { cwd: app }).catch((error) => error)
  process.stdout.write(dual.stdout)
  if (dual.code !== undefined && dual.code !== 0) {
    failed = true
    console.log(`FAIL dual-package checks:\n${dual.stderr}`)
  }
  lap('node: ESM and CommonJS copies loaded together', since)

  // 5. The packed `org-auth` bin runs: its help, and one command on an embedded PGlite.
  since = performance.now()
  const orgAuth = join(modules, '@org', 'auth-cli', 'bin', 'org-auth.js')
  const cliEnv = { ...process.env, DATABASE_URL: '' }
  for (const [label, argv, expected] of [
    ['--help', ['--help'], /Exit codes: 0 ok/],
    ['migrate on PGlite', ['migrate', '--json', '--data-dir', join(work, 'pgdata')], /"applied":\[1,/],
  ]) {
    const result = await run(process.execPath, [orgAuth, ...argv], { cwd: app, env: cliEnv }).catch((e) => e)
    const ok = (result.code === undefined || result.code === 0) && expected.test(result.stdout)
    if (!ok) failed = true
    console.log(`${ok ? 'ok  ' : 'FAIL'} org-auth ${label}`)
    if (!ok) console.log(result.stdout, result.stderr)
  }
  lap('node: the packed org-auth bin runs', since)

  // 6. tsc on a consumer per module setting.
  since = performance.now()
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
  await Promise.all(
    PROJECTS.map(async ({ name, type, compilerOptions }) => {
      const project = join(app, name)
      mkdirSync(project)
      writeFileSync(join(project, 'package.json'), JSON.stringify({ name: `consumer-${name}`, type }))
      writeFileSync(join(project, 'consumer.ts'), CONSUMER)
      const tsconfig = {
        compilerOptions: { strict: true, noEmit: true, types: ['node'], ...compilerOptions },
      }
      writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2))
      const result = await run(process.execPath, [tsc, '-p', project], { cwd: project }).catch(
        (error) => error,
      )
      const ok = result.code === undefined || result.code === 0
      if (!ok) failed = true
      console.log(`${ok ? 'ok  ' : 'FAIL'} tsc ${name}: ${JSON.stringify(compilerOptions)}`)
      if (!ok) console.log(result.stdout, result.stderr)
    }),
  )
  lap(`tsc: the consumer type-checks under ${PROJECTS.map(({ name }) => name).join(', ')}`, since)
} finally {
  if (process.env.KEEP_INSTALLED) console.log(`kept ${work}`)
  else rmSync(work, { recursive: true, force: true })
}
lap(failed ? '\ninstalled packages: FAILED' : '\ninstalled packages: all checks passed', started)
process.exit(failed ? 1 : 0)
