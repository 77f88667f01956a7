#!/usr/bin/env node
// Extracts the ```ts and ```tsx blocks of the package README into test/readme/ (numbered in
// README order, `.tsx` for the latter) so `tsc` type-checks them against the real API:
// documentation that no longer compiles fails the typecheck.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'

const readme = readFileSync('README.md', 'utf8')
const blocks = [...readme.matchAll(/^```(tsx?)\n([\s\S]*?)^```$/gm)].map((match) => ({
  extension: match[1],
  code: match[2],
}))
rmSync('test/readme', { recursive: true, force: true })
mkdirSync('test/readme', { recursive: true })
blocks.forEach(({ extension, code }, index) => {
  // `export {}` keeps each snippet a module of its own (top-level await, no shared names).
  writeFileSync(
    `test/readme/snippet-${index + 1}.${extension}`,
    `// Generated from README.md: do not edit.\n${code}export {}\n`,
  )
})
console.log(`readme: ${blocks.length} TypeScript snippets extracted`)
