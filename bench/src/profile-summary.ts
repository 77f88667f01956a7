/**
 * `pnpm bench:profile [--skip N] <file.cpuprofile> [pattern…]`: where a server's CPU went, from a
 * `BENCH_CPU_PROF` profile (`--skip N` leaves out its first N seconds). Prints the top functions by self time, then by package (the
 * `node_modules` package, `packages/<name>`, or `node:` internals), and, for each pattern, the
 * total (inclusive) time of the functions whose name or file matches it, counted once per sample.
 */
import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

const args = process.argv.slice(2)
// `--skip N`: leaves out the first N seconds (start-up: module loading, compilation, warm-up).
const skipAt = args.indexOf('--skip')
const skipSeconds = skipAt === -1 ? 0 : Number(args.splice(skipAt, 2)[1])
const [file, ...patterns] = args
if (file === undefined)
  throw new Error('usage: profile-summary [--skip seconds] <file.cpuprofile> [pattern…]')
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
const byId = new Map(profile.nodes.map((node) => [node.id, node]))
const parent = new Map<number, number>()
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)

/** Microseconds per node, from the sample deltas. */
const self = new Map<number, number>()
let elapsed = 0
profile.samples.forEach((id, i) => {
  elapsed += profile.timeDeltas[i] ?? 0
  if (elapsed >= skipSeconds * 1e6) self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0))
})
const idleIds = new Set(profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id))
/** Busy time: every sample but idle ones, the base of every percentage. */
const total = [...self].reduce((sum, [id, us]) => sum + (idleIds.has(id) ? 0 : us), 0)

function where(url: string): string {
  if (url === '') return '(native/V8)'
  if (url.startsWith('node:')) return url.replace(/^node:(internal\/)?/, 'node:')
  const module = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (module) return module[1] as string
  const workspace = /\/(packages|bench|apps)\/([^/]+)\//.exec(url)
  return workspace ? `${workspace[1]}/${workspace[2]}` : url
}
const label = (node: ProfileNode) =>
  `${node.callFrame.functionName || '(anonymous)'} ${where(node.callFrame.url)}${node.callFrame.url ? `:${node.callFrame.lineNumber + 1}` : ''}`
const percent = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)}%`

function top(groups: Map<string, number>, count: number): string {
  return [...groups]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, us]) => `  ${percent(us)}  ${name}`)
    .join('\n')
}

const byFunction = new Map<string, number>()
const byPackage = new Map<string, number>()
/** `node:` internals grouped by their top folder (`node:crypto`, `node:http`…), packages by name. */
const packageOf = (url: string) =>
  where(url)
    .replace(/^(node:[^/]+)\/.*$/, '$1')
    .replace(/\.js$/, '')
for (const [id, us] of self) {
  if (idleIds.has(id)) continue
  const node = byId.get(id) as ProfileNode
  byFunction.set(label(node), (byFunction.get(label(node)) ?? 0) + us)
  const name = node.callFrame.functionName
  const group = ['(garbage collector)', '(program)'].includes(name) ? name : packageOf(node.callFrame.url)
  byPackage.set(group, (byPackage.get(group) ?? 0) + us)
}
console.log(
  `${file}: ${(total / 1e6).toFixed(2)} s busy (percentages of it)\n\nSelf time, top functions:\n${top(byFunction, 30)}`,
)
console.log(`\nSelf time by package:\n${top(byPackage, 15)}`)
for (const pattern of patterns) {
  const re = new RegExp(pattern)
  let inclusive = 0
  for (const [id, us] of self) {
    if (idleIds.has(id)) continue
    // Walks up the stack: the sample counts once if any frame matches.
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const node = byId.get(at) as ProfileNode
      if (re.test(node.callFrame.functionName) || re.test(node.callFrame.url)) {
        inclusive += us
        break
      }
    }
  }
  console.log(`\nInclusive /${pattern}/: ${percent(inclusive)}`)
}
