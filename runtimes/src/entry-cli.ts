// The Bun and Deno entry: the input comes as the one command-line argument, the report goes to
// stdout as one line of JSON. A failure prints `{"error": ...}` and exits non-zero, so the test
// shows what broke instead of a parse error.
import { runChecks } from './checks.js'
import type { CheckInput } from './report.js'

interface CliRuntime {
  Deno?: { args: string[]; exit(code: number): never }
  process?: { argv: string[]; exitCode?: number }
}

const host = globalThis as unknown as CliRuntime
const args = host.Deno?.args ?? host.process?.argv.slice(2) ?? []

try {
  const input = JSON.parse(args[0] ?? 'null') as CheckInput
  console.log(JSON.stringify(await runChecks(input)))
} catch (error) {
  console.log(JSON.stringify({ error: String(error), stack: (error as Error).stack }))
  if (host.Deno !== undefined) host.Deno.exit(1)
  else if (host.process !== undefined) host.process.exitCode = 1
}
