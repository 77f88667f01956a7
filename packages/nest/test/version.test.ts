import core from '@nestjs/core/package.json' with { type: 'json' }
import { expect, it } from 'vitest'

// Each vitest project runs every test against one NestJS major (see vitest.config.ts): this
// proves the project loads the major it claims to.
it('runs against the NestJS major of its vitest project', () => {
  expect(core.version.split('.')[0]).toBe(process.env['NEST_MAJOR'])
})
