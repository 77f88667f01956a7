/**
 * The `org-auth` command line as a library: `run(argv, io)` runs one command line and resolves to
 * its exit code, as the `org-auth` bin does with the process's arguments and streams.
 */

export { CliError, EXIT } from './errors.js'
export { type CliIo, run } from './run.js'
