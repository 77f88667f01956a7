/**
 * `run(argv, io)`: the whole CLI as a function, for the bin and for tests. It never throws and
 * never calls `process.exit`: it returns the exit code, and prints failures as one line on stderr
 * (JSON with `--json`), never a stack.
 */
import { type Command, CommanderError } from 'commander'
import { delegationKeys } from './commands/delegation-keys.js'
import { type CliIo, Context } from './context.js'
import { describeError, EXIT, exitCodeOf } from './errors.js'
import { buildProgram } from './program.js'

export type { CliIo } from './context.js'

/** Runs the command line `argv` (without `node` and the script). Resolves to the exit code. */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const context = new Context(io)
  const json = argv.includes('--json')
  const fail = (code: string, message: string) =>
    io.stderr(json ? `${JSON.stringify({ error: { code, message } })}\n` : `org-auth: ${message} [${code}]\n`)
  try {
    if (argv[0] === 'delegation-keys') return await delegationKeys(context, argv.slice(1))
    const program = buildProgram(context)
    let usage: string | undefined
    // Commander's own errors (an unknown option, a missing value) come back as CommanderError
    // rather than exiting; their text is kept for the one line printed below.
    program.exitOverride()
    for (const command of [program, ...allCommands(program)]) {
      command.exitOverride()
      command.configureOutput({
        writeOut: io.stdout,
        writeErr: io.stderr,
        outputError: (text) => {
          usage = text.trim().replace(/^error: /, '')
        },
      })
    }
    try {
      await program.parseAsync([...argv], { from: 'user' })
    } catch (error) {
      if (!(error instanceof CommanderError)) throw error
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT.ok
      // Help shown because a group was run without a subcommand is a usage error too (no line).
      if (usage !== undefined) fail('ERR_USAGE', `${usage} (see --help)`)
      return EXIT.usage
    }
    return EXIT.ok
  } catch (error) {
    const { code, message } = describeError(error)
    fail(code, message)
    return exitCodeOf(error)
  } finally {
    await context.close().catch(() => {})
  }
}

function allCommands(command: Command): Command[] {
  return command.commands.flatMap((child) => [child, ...allCommands(child)])
}
