#!/usr/bin/env node
// Extracts the ```ts blocks of the package README into test/readme/ so `tsc` type-checks them
// against the real API: documentation that no longer compiles fails the typecheck.
// With --commonjs, the snippets are CommonJS modules (`.cts`), as in a `nest new` project: top-level
// await, for one, does not compile there.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'

const readme = readFileSync('README.md', 'utf8')
const blocks = [...readme.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) => match[1])
rmSync('test/readme', { recursive: true, force: true })
mkdirSync('test/readme', { recursive: true })
const commonjs = process.argv.includes('--commonjs')
blocks.forEach((code, index) => {
  // `export {}` keeps each snippet a module of its own (top-level await in ESM, no shared names).
  writeFileSync(
    `test/readme/snippet-${index + 1}.${commonjs ? 'cts' : 'ts'}`,
    `// Generated from README.md: do not edit.\n${code}export {}\n`,
  )
})
console.log(`readme: ${blocks.length} TypeScript snippets extracted${commonjs ? ' (CommonJS)' : ''}`)
