#!/usr/bin/env node
// Extracts the ```ts and ```tsx blocks of the package README into test/readme/ (numbered in
// README order, `.tsx` for the latter) so `tsc` type-checks them against the real API:
// documentation that no longer compiles fails the typecheck.
// With --commonjs, the TypeScript snippets are CommonJS modules (`.cts`), as in a `nest new`
// project: top-level await, for one, does not compile there.
//
// The guides (docs/migrating.md, docs/mcp.md) are checked the same way, each ```ts block by the
// one package it is written for: the adapter it imports, else @org/auth-core. Every package's typecheck extracts its own
// blocks (test/readme/<guide>-N.ts), so a block compiles with that package's dependencies and
// tsconfig. Code of the libraries being migrated from is fenced ```ts before: highlighted as
// TypeScript, never compiled (those libraries are not installed here). Any other fence that
// starts with `ts` is refused, so no TypeScript in that guide escapes the check by accident.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const GUIDES = ['docs/migrating.md', 'docs/mcp.md']

/** `// Generated from …` + the code + `export {}` (each snippet a module: top-level await, own names). */
function snippetFile(source, code) {
  return `// Generated from ${source}: do not edit.\n${code}export {}\n`
}

/**
 * Import paths that stand for a package: the Next.js snippets import `@/lib/auth` (create-next-app's
 * alias), which packages/next's tsconfig maps to the `createNextAuth` of its README.
 */
const ALIASES = { '@/lib/auth': '@org/auth-next' }

/** The package a guide block is written for, by its imports; throws when none or several adapters. */
function ownerOf(code, line, packageNames, guidePath) {
  const imported = new Set(
    [...code.matchAll(/from '(@org\/auth-[a-z-]+|@\/lib\/auth)(?:\/[^']*)?'/g)].map(
      (match) => ALIASES[match[1]] ?? match[1],
    ),
  )
  const adapters = [...imported].filter((name) => name !== '@org/auth-core')
  if (adapters.length > 1) {
    throw new Error(`${guidePath}:${line}: a block imports ${adapters.join(' and ')}; write one per package`)
  }
  const owner = adapters[0] ?? (imported.has('@org/auth-core') ? '@org/auth-core' : undefined)
  if (owner === undefined) {
    throw new Error(
      `${guidePath}:${line}: a \`\`\`ts block imports no @org/auth-* package, so nothing checks it`,
    )
  }
  if (!packageNames.has(owner))
    throw new Error(`${guidePath}:${line}: ${owner} is not a package of this repository`)
  return owner
}

/** The ```ts blocks of a guide that `packageName` type-checks. */
function guideBlocks(packageName, guidePath) {
  const text = readFileSync(join(root, guidePath), 'utf8')
  const packageNames = new Set(
    readdirSync(join(root, 'packages'))
      .map((dir) => join(root, 'packages', dir, 'package.json'))
      .filter((file) => existsSync(file))
      .map((file) => JSON.parse(readFileSync(file, 'utf8')).name),
  )
  const blocks = []
  for (const match of text.matchAll(/^```(ts[^\n]*)\n([\s\S]*?)^```$/gm)) {
    const [, info, code] = match
    const line = text.slice(0, match.index).split('\n').length
    if (info === 'ts before') continue
    if (info !== 'ts')
      throw new Error(`${guidePath}:${line}: fence \`\`\`${info} is neither \`\`\`ts nor \`\`\`ts before`)
    if (ownerOf(code, line, packageNames, guidePath) === packageName) blocks.push(code)
  }
  return blocks
}

const readme = readFileSync('README.md', 'utf8')
const blocks = [...readme.matchAll(/^```(tsx?)\n([\s\S]*?)^```$/gm)].map((match) => ({
  extension: match[1],
  code: match[2],
}))
const { name } = JSON.parse(readFileSync('package.json', 'utf8'))
const guides = GUIDES.map((guide) => ({ guide, blocks: guideBlocks(name, guide) }))
rmSync('test/readme', { recursive: true, force: true })
mkdirSync('test/readme', { recursive: true })
// CommonJS (`.cts`) when asked: the `nest new` layout, where top-level await does not compile.
const commonjs = process.argv.includes('--commonjs')
const tsExtension = commonjs ? 'cts' : 'ts'
blocks.forEach(({ extension, code }, index) => {
  const file = `snippet-${index + 1}.${extension === 'ts' ? tsExtension : extension}`
  writeFileSync(`test/readme/${file}`, snippetFile('README.md', code))
})
for (const { guide, blocks: guideCode } of guides) {
  const stem = guide.replace(/^docs\//, '').replace(/\.md$/, '')
  guideCode.forEach((code, index) => {
    writeFileSync(`test/readme/${stem}-${index + 1}.${tsExtension}`, snippetFile(guide, code))
  })
}
const counts = guides.map(({ guide, blocks: guideCode }) => `${guideCode.length} from ${guide}`).join(', ')
console.log(
  `readme: ${blocks.length} TypeScript snippets extracted, ${counts}${commonjs ? ' (CommonJS)' : ''}`,
)
