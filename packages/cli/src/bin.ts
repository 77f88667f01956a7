#!/usr/bin/env node
import { run } from './run.js'

// SIGINT and SIGTERM end `serve` cleanly (requests in flight finish, the pool closes); a second
// signal ends the process at once.
const controller = new AbortController()
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    controller.abort()
    process.once(signal, () => process.exit(130))
  })
}

// No top-level await: the file is also compiled in the CommonJS pass (its output is removed).
void run(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  signal: controller.signal,
}).then((code) => {
  process.exitCode = code
})
