#!/usr/bin/env node
// The README's two commands land here: `npm run demo` and `npm test`. On a fresh machine with
// only Node and npm, this finds (or fetches) pnpm 10, installs the workspace, then runs the demo
// or every check. It uses nothing but Node built-ins, since nothing else is installed yet.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'

const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 20 || (major === 20 && minor < 19)) {
  console.error(`Node ${process.versions.node} is too old: Node >= 20.19 is required.`)
  process.exit(1)
}

const root = new URL('..', import.meta.url).pathname
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' }

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', cwd: root, env, ...options })
  if (result.error) throw result.error
  return result.status ?? 1
}

function pnpmCommand() {
  const probe = spawnSync('pnpm', ['--version'], { encoding: 'utf8', env })
  if (probe.status === 0 && probe.stdout.trim().startsWith('10.')) return ['pnpm', []]
  console.log('pnpm 10 not found on PATH: using it through npx (corepack is not needed).')
  return ['npx', ['--yes', 'pnpm@10']]
}

const [pnpm, prefix] = pnpmCommand()
const pnpmRun = (...args) => run(pnpm, [...prefix, ...args])

const task = process.argv[2]
if (pnpmRun('install', '--frozen-lockfile', '--reporter=append-only') !== 0) process.exit(1)

if (task === 'demo') {
  console.log(
    '\nStarting the dev identity provider (:4000) and the demos: Express :3001, Hono :3002, NestJS :3003, Next.js :3004 (built first).',
  )
  console.log('Stop with Ctrl-C.\n')
  process.exit(pnpmRun('--parallel', '--filter', '@org/demo-ui', '--filter', './apps/*-demo', 'start'))
}

/**
 * The browser tests drive Debian's Chromium (playwright's own download is not reachable
 * everywhere). On a machine without it, install it when we may (root with apt-get); otherwise
 * say what is missing: the e2e tests fail rather than skip.
 */
function ensureChromium() {
  const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
  if (existsSync(path)) return
  const root = typeof process.getuid === 'function' && process.getuid() === 0
  if (root && spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0) {
    console.log('Installing Chromium for the browser tests (apt-get install chromium)...')
    const aptEnv = { ...env, DEBIAN_FRONTEND: 'noninteractive' }
    if (run('apt-get', ['update'], { env: aptEnv }) === 0)
      run('apt-get', ['install', '-y', 'chromium'], { env: aptEnv })
  } else {
    console.warn(
      `Chromium not found at ${path}: install it (apt-get install chromium) or set CHROMIUM_PATH; the e2e tests need it.`,
    )
  }
}

if (task === 'test') {
  ensureChromium()
  const projects = [
    ...['packages', 'apps'].flatMap((dir) =>
      readdirSync(join(root, dir)).map((name) => join(root, dir, name)),
    ),
    join(root, 'e2e'),
    join(root, 'runtimes'),
  ]
  for (const project of projects) rmSync(join(project, '.vitest'), { recursive: true, force: true })
  // Every step runs even when an earlier one fails, so one run shows every problem.
  const lint = pnpmRun('exec', 'biome', 'check', '.')
  // The repository's own scripts (the README link check) belong to no package: their tests run here.
  const scriptTests = readdirSync(join(root, 'scripts'))
    .filter((file) => file.endsWith('.test.mjs'))
    .map((file) => join('scripts', file))
  const scripts = run(process.execPath, ['--test', ...scriptTests])
  const checks = pnpmRun(
    'exec',
    'turbo',
    'run',
    'typecheck',
    'test',
    'check-package',
    'check-installed',
    '--continue',
    // One task per core: test suites start servers and sign keys, and starve each other beyond that.
    `--concurrency=${Math.max(2, availableParallelism())}`,
    '--output-logs=errors-only',
  )
  const status = lint || scripts || checks
  // One closing line for CI, summed over every package's vitest JSON report.
  let passed = 0
  let failed = 0
  for (const project of projects) {
    try {
      const report = JSON.parse(readFileSync(join(project, '.vitest', 'results.json'), 'utf8'))
      passed += report.numPassedTests
      failed += report.numFailedTests
    } catch {
      // A project without tests (or whose run never started) has no report.
    }
  }
  if (status !== 0 && failed === 0) failed = 1 // a failed typecheck, lint or package check counts too
  console.log(`\ntests: ${passed} passed, ${failed} failed`)
  process.exit(status)
}

console.error('usage: node scripts/bootstrap.mjs demo|test')
process.exit(2)
