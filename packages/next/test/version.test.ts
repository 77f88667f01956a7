import { createRequire } from 'node:module'
import { cookies, headers } from 'next/headers.js'
import { redirect, unstable_rethrow } from 'next/navigation.js'
import next from 'next/package.json' with { type: 'json' }
import { NextResponse } from 'next/server.js'
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
    expect(installed('server.js').NextResponse).toBe(NextResponse)
    expect(installed('headers.js')).toMatchObject({ cookies, headers })
    expect(installed('navigation.js')).toMatchObject({ redirect, unstable_rethrow })
  })
})
