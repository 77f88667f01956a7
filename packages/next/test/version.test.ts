import { createRequire } from 'node:module'
/// <reference path="../src/next-modules.d.ts" />
import { cookies, headers } from 'next/headers'
import { redirect, unstable_rethrow } from 'next/navigation'
import next from 'next/package.json' with { type: 'json' }
import { connection, NextResponse } from 'next/server'
import { describe, expect, it } from 'vitest'

// Each vitest project runs every test against one Next.js major (see vitest.config.ts): this
// proves the project loads the major it claims to, through the same specifiers the adapter uses.
describe('the Next.js of this vitest project', () => {
  it('is the major the project names', () => {
    expect(next.version.split('.')[0]).toBe(process.env['NEXT_MAJOR'])
  })

  it("is the one behind the adapter's imports (next/server, next/headers, next/navigation)", () => {
    // The installed package of that major, loaded by Node without vitest's aliases.
    const require = createRequire(import.meta.url)
    const installed = (entry: string) => require(`${process.env['NEXT_PACKAGE']}/${entry}`)
    expect(installed('package.json').version).toBe(next.version)
    expect(installed('server.js')).toMatchObject({ NextResponse, connection })
    expect(installed('headers.js')).toMatchObject({ cookies, headers })
    expect(installed('navigation.js')).toMatchObject({ redirect, unstable_rethrow })
  })
})
