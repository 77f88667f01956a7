// The public face of `./app.ts` for packages that import the demo (e2e/): their TypeScript
// settings have no `experimentalDecorators`, and would otherwise type-check the decorated source.
// test/app.test.ts checks that it matches the implementation.
import type { INestApplication } from '@nestjs/common'
import type { Auth, BearerVerifier } from '@org/auth-core'
import type { DelegationClient } from '@org/auth-core/delegation'

export interface DemoOptions {
  /** Verifies the access tokens the API routes receive. */
  verifier: BearerVerifier
  /** The web login (createAuth) of this demo. */
  auth: Auth
  /** The MFA delegation client of the "MFA settings" pages. */
  delegation: DelegationClient
  /** The HTTP platform under Nest. Default: `express`. */
  platform?: 'express' | 'fastify'
}

/** The demo as a Nest application, initialised but not listening: `await app.listen(port)`. */
export declare function createApp(options: DemoOptions): Promise<INestApplication>
