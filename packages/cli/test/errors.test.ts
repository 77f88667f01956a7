/**
 * Exit codes and error lines: usage errors exit 2, an unknown id 3, a database that is down 1,
 * always as one line on stderr (JSON with --json), without a stack or the URL's password.
 */
import { describe, expect, it } from 'vitest'
import { bin, cli, KEK, pgliteBackend } from './helpers.js'

// Nothing listens on port 1: the connection is refused at once.
const DOWN = 'postgres://admin:hunter2-secret@127.0.0.1:1/orgauth'
const pglite = pgliteBackend()

describe('usage errors exit 2 before touching a database', () => {
  // No database anywhere: these must fail on the command line alone.
  const env = { DATABASE_URL: DOWN, ORG_AUTH_KEK: KEK }
  const cases: [string, string[], RegExp][] = [
    ['an unknown option', ['clients', 'list', '--colour'], /unknown option '--colour'/],
    ['an unknown command', ['clients', 'remove', 'x'], /unknown command 'remove'/],
    ['a missing required option', ['clients', 'add', '--type', 'public', '--grant', 'password'], /--name/],
    ['a bad choice', ['clients', 'add', '--name', 'n', '--type', 'secret', '--grant', 'password'], /--type/],
    ['a bad number', ['clients', 'rotate-secret', 'oac_x', '--grace', '-5'], /--grace/],
    ['a missing argument', ['clients', 'show'], /missing required argument 'id'/],
    ['a bad algorithm', ['keys', 'generate', '--alg', 'HS256'], /--alg/],
    ['an invalid schema', ['clients', 'list', '--schema', 'Bad-Name'], /schema/],
    [
      'a client cache beyond 300 s',
      ['serve', '--issuer', 'http://127.0.0.1:4100', '--client-cache-seconds', '301'],
      /--client-cache-seconds/,
    ],
    [
      'the same role twice',
      ['db', 'roles', '--admin-role', 'r', '--server-role', 'r', '--print'],
      /different/,
    ],
  ]
  for (const [label, argv, message] of cases) {
    it(label, async () => {
      const result = await cli(argv, env)
      expect(result.code, result.stderr).toBe(2)
      expect(result.stdout).toBe('')
      expect(result.stderr).toMatch(message)
      expect(result.stderr).toMatch(/^org-auth: [^\n]+\n$/)
    })
  }

  it('a group without its subcommand prints its help and exits 2', async () => {
    const result = await cli(['keys'], env)
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('Usage: org-auth keys')
  })

  it('--help exits 0 and names both databases and the exit codes', async () => {
    const result = await cli(['--help'], env)
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/DATABASE_URL set/)
    expect(result.stdout).toMatch(/PGlite in --data-dir \(default \.\/\.org-auth\/pgdata\)/)
    expect(result.stdout).toMatch(/Exit codes: 0 ok, 1 operational failure/)
  })

  it('a missing key-encryption key is a configuration error that names the variable', async () => {
    const result = await cli(['keys', 'list', '--json'], { DATABASE_URL: DOWN })
    expect(result.code).toBe(2)
    expect(JSON.parse(result.stderr)).toEqual({
      error: { code: 'ERR_KEK_MISSING', message: expect.stringContaining('ORG_AUTH_KEK is not set') },
    })
  })

  it('an invalid --issuer is refused by the token server (exit 2)', async () => {
    const target = await pglite.fresh()
    const result = await cli(
      ['serve', '--issuer', 'http://example.com', '--port', '0', ...target.args],
      target.env,
    )
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/issuer.*https/)
  })
})

describe('a database that is down exits 1, without a stack or the password', () => {
  const env = { DATABASE_URL: DOWN, ORG_AUTH_KEK: KEK }
  const commands = [
    ['migrate'],
    ['clients', 'list'],
    ['clients', 'show', 'oac_x', '--json'],
    ['keys', 'list'],
    ['db', 'roles', '--admin-role', 'a', '--server-role', 's'],
    ['serve', '--issuer', 'http://127.0.0.1:4199', '--port', '0'],
  ]
  for (const argv of commands) {
    it(argv.join(' '), async () => {
      const result = await cli(argv, env)
      expect(result.code).toBe(1)
      expect(result.stdout).toBe('')
      expect(result.stderr).toMatch(/ECONNREFUSED/)
      expect(result.stderr.split('\n')).toHaveLength(2)
      expect(result.stderr).not.toMatch(/hunter2|admin:|at .*\.(ts|js):\d+/)
    })
  }

  it('through the bin as well', async () => {
    const result = await bin(['clients', 'list', '--json'], env)
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    expect(JSON.parse(result.stderr)).toEqual({
      error: {
        code: 'ERR_STORE_UNAVAILABLE',
        message: 'The PostgreSQL store failed to list clients (ECONNREFUSED)',
      },
    })
  })
})

describe('the bin', () => {
  it('exits 2 on a usage error and 0 on --help', async () => {
    expect(await bin(['clients', 'add'], { DATABASE_URL: DOWN })).toMatchObject({ code: 2, stdout: '' })
    const help = await bin(['clients', 'add', '--help'], {})
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('--redirect-uri <uri>')
  })

  it('exits 3 for an unknown client on PGlite, with --json output that parses', async () => {
    const target = await pglite.fresh()
    const list = await bin(['clients', 'list', '--json', ...target.args], target.env)
    expect(list.code, list.stderr).toBe(0)
    expect(JSON.parse(list.stdout)).toEqual({ clients: [] })
    const show = await bin(['clients', 'show', 'oac_nobody', ...target.args], target.env)
    expect(show).toMatchObject({
      code: 3,
      stdout: '',
      stderr: 'org-auth: No client has this id [ERR_CLIENT_NOT_FOUND]\n',
    })
  })
})
