/**
 * The code placed into each generated project comes from the package READMEs, so the docs cannot
 * drift from what works: a fenced ```ts / ```tsx block preceded by an HTML comment
 *
 *   <!-- consumer: src/index.ts -->
 *
 * is written to that path of the project (the comment is invisible on npm and GitHub). The only
 * changes are literal replacements of the README's placeholders (the IdP's issuer, the client,
 * the app's origin and port) by the values of this run.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { REPO_ROOT } from './paths.js'

export interface ReadmeBlock {
  /** Path in the generated project, from the marker. */
  path: string
  code: string
  /** 1-based line of the marker in the README, for messages. */
  line: number
}

const MARKER = /^<!--\s*consumer:\s*(\S+)\s*-->\s*$/

/** The marked blocks of `packages/<pkg>/README.md`, in order. */
export function markedBlocks(pkg: string): ReadmeBlock[] {
  const file = join(REPO_ROOT, 'packages', pkg, 'README.md')
  const lines = readFileSync(file, 'utf8').split('\n')
  const blocks: ReadmeBlock[] = []
  for (let index = 0; index < lines.length; index += 1) {
    const marker = MARKER.exec(lines[index] ?? '')
    if (!marker) continue
    let open = index + 1
    while (open < lines.length && lines[open]?.trim() === '') open += 1
    if (!/^```tsx?\s*$/.test(lines[open] ?? '')) {
      throw new Error(
        `packages/${pkg}/README.md:${index + 1}: the consumer marker is not followed by a \`\`\`ts block`,
      )
    }
    const close = lines.findIndex((line, at) => at > open && line.startsWith('```'))
    if (close < 0) throw new Error(`packages/${pkg}/README.md:${open + 1}: unclosed code block`)
    blocks.push({
      path: marker[1] as string,
      code: `${lines.slice(open + 1, close).join('\n')}\n`,
      line: index + 1,
    })
    index = close
  }
  return blocks
}

/**
 * The `nth` (0-based) fenced ```ts / ```tsx block of the README section headed `heading` (e.g.
 * `## Token server`, up to the next heading of that level), for a block that carries no
 * `<!-- consumer: -->` marker; `path` is where the check writes it.
 */
export function sectionBlock(pkg: string, heading: string, path: string, nth = 0): ReadmeBlock {
  const file = `packages/${pkg}/README.md`
  const lines = readFileSync(join(REPO_ROOT, file), 'utf8').split('\n')
  const start = lines.indexOf(heading)
  if (start < 0) throw new Error(`${file} has no section ${heading}: update consumer/src`)
  const level = `${heading.split(' ')[0]} `
  let found = 0
  for (let index = start + 1; index < lines.length; index += 1) {
    const line = lines[index] ?? ''
    if (line.startsWith(level)) break
    if (!/^```/.test(line)) continue
    const close = lines.findIndex((text, at) => at > index && text.startsWith('```'))
    if (close < 0) throw new Error(`${file}:${index + 1}: unclosed code block`)
    if (/^```tsx?\s*$/.test(line) && found++ === nth) {
      return { path, code: `${lines.slice(index + 1, close).join('\n')}\n`, line: index + 1 }
    }
    index = close
  }
  throw new Error(`${file} ${heading} has no \`\`\`ts block #${nth + 1} (for ${path}): update consumer/src`)
}

export interface Replacement {
  /** The README's literal text, e.g. `'https://idp.example.com'` (quotes included). */
  from: string
  to: string
  /** The block must contain it (the check depends on it, e.g. the port it listens on). */
  required?: boolean
}

/** Applies the replacements; a missing required one names the README line to look at. */
export function substitute(pkg: string, block: ReadmeBlock, replacements: readonly Replacement[]): string {
  let code = block.code
  for (const { from, to, required } of replacements) {
    if (!code.includes(from)) {
      if (required) {
        throw new Error(
          `packages/${pkg}/README.md:${block.line} (${block.path}) no longer contains ${from}, which the consumer check replaces: update consumer/src/frameworks`,
        )
      }
      continue
    }
    code = code.split(from).join(to)
  }
  return code
}
