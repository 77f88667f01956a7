/**
 * `--jwks <file>`: a client's JWK Set read from a file, or from stdin with `-`. Only reading and
 * JSON parsing happen here; what the keys may be (public, asymmetric, 1 to 10) is the registry's
 * check (`ERR_CLIENT_JWKS`), so the CLI and the library refuse the same sets with the same code.
 */
import { open } from 'node:fs/promises'
import type { Context } from './context.js'
import { CliError } from './errors.js'

// The registry accepts at most 16 KiB of JSON; four times that leaves room for indentation and
// whitespace, and stops a wrong path (a log, a disk image) from being read whole.
const MAX_BYTES = 65_536

const tooLarge = (source: string) =>
  new CliError('ERR_JWKS_FILE', `--jwks ${source} is larger than ${MAX_BYTES} bytes: not a JWK Set`)

async function readFileBounded(path: string): Promise<string> {
  let handle: Awaited<ReturnType<typeof open>> | undefined
  try {
    handle = await open(path, 'r')
    const buffer = Buffer.alloc(MAX_BYTES + 1)
    let length = 0
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null)
      if (bytesRead === 0) break
      length += bytesRead
      if (length > MAX_BYTES) throw tooLarge(path)
    }
    return buffer.subarray(0, length).toString('utf8')
  } catch (error) {
    if (error instanceof CliError) throw error
    // The system code only (ENOENT, EACCES, EISDIR): enough to act on, and never file content.
    const code = (error as { code?: unknown }).code
    throw new CliError(
      'ERR_JWKS_FILE',
      `Cannot read --jwks ${path}${typeof code === 'string' ? ` (${code})` : ''}`,
    )
  } finally {
    await handle?.close()
  }
}

async function readStdin(context: Context): Promise<string> {
  const chunks: Buffer[] = []
  let length = 0
  for await (const chunk of context.io.stdin ?? process.stdin) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk)
    length += bytes.length
    if (length > MAX_BYTES) throw tooLarge('-')
    chunks.push(bytes)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** The parsed JSON of `--jwks <source>` (`-`: stdin). Usage errors (exit 2) when unreadable or not JSON. */
export async function readJwks(context: Context, source: string): Promise<{ keys: unknown[] }> {
  const text = source === '-' ? await readStdin(context) : await readFileBounded(source)
  try {
    return JSON.parse(text) as { keys: unknown[] }
  } catch {
    // JSON.parse's message quotes the input near the error: not repeated, as with any file content.
    throw new CliError('ERR_JWKS_FILE', `--jwks ${source} is not JSON (expected a JWK Set: {"keys": [...]})`)
  }
}
