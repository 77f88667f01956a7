/**
 * Real Nest applications for the tests: built with `Test.createTestingModule`, on Express or
 * Fastify, with `AuthModule.forRoot()` or `forRootAsync()` (options from a provider of an
 * imported module, as with `ConfigModule`), listening on 127.0.0.1.
 */
import 'reflect-metadata'
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { INestApplication } from '@nestjs/common'
import { type DynamicModule, Inject, Injectable, Module, type Type } from '@nestjs/common'
import { ExpressAdapter } from '@nestjs/platform-express'
import { FastifyAdapter } from '@nestjs/platform-fastify'
import { Test } from '@nestjs/testing'
import { AuthModule, type AuthModuleOptions } from '../src/index.js'

export const PLATFORMS = ['express', 'fastify'] as const
export const MODES = ['forRoot', 'forRootAsync'] as const
export type Platform = (typeof PLATFORMS)[number]
export type Mode = (typeof MODES)[number]

/** Every platform in every mode, for `describe.each`. */
export const MATRIX: [Platform, Mode][] = PLATFORMS.flatMap((platform) =>
  MODES.map((mode): [Platform, Mode] => [platform, mode]),
)

const SETTINGS = Symbol('test settings')

/** Stands for an application's configuration service, read by `forRootAsync`'s factory. */
@Injectable()
class TestSettings {
  constructor(@Inject(SETTINGS) readonly auth: AuthModuleOptions) {}
}

function settingsModule(options: AuthModuleOptions): DynamicModule {
  @Module({})
  class SettingsModule {}
  return {
    module: SettingsModule,
    providers: [{ provide: SETTINGS, useValue: options }, TestSettings],
    exports: [TestSettings],
  }
}

export function authModule(mode: Mode, options: AuthModuleOptions, globalGuard = false): DynamicModule {
  if (mode === 'forRoot') return AuthModule.forRoot({ ...options, globalGuard })
  return AuthModule.forRootAsync({
    imports: [settingsModule(options)],
    inject: [TestSettings],
    // Asynchronous on purpose: a factory that awaits (a secret store, a file) is the usual case.
    useFactory: async (settings: TestSettings) => settings.auth,
    globalGuard,
  })
}

export interface RunningApp {
  app: INestApplication
  origin: string
  close(): Promise<void>
}

export interface AppSpec {
  platform: Platform
  mode: Mode
  options: AuthModuleOptions
  controllers: Type[]
  globalGuard?: boolean
  providers?: Type[] | { provide: unknown; useClass: Type }[]
}

export async function startApp(spec: AppSpec): Promise<RunningApp> {
  const moduleRef = await Test.createTestingModule({
    imports: [authModule(spec.mode, spec.options, spec.globalGuard)],
    controllers: spec.controllers,
    providers: (spec.providers ?? []) as Type[],
  }).compile()
  const adapter = spec.platform === 'express' ? new ExpressAdapter() : new FastifyAdapter()
  const app = moduleRef.createNestApplication(adapter, { logger: false })
  await app.listen(0, '127.0.0.1')
  const { port } = app.getHttpServer().address() as AddressInfo
  return { app, origin: `http://127.0.0.1:${port}`, close: () => app.close() }
}

/** A URL on 127.0.0.1 where nothing listens: connections are refused. */
export async function refusingUrl(path: string): Promise<string> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return `http://127.0.0.1:${port}${path}`
}

/**
 * A GET with the given header lines sent as they are: fetch() would join two `Authorization`
 * headers into one (Node's client sends each on its own line), and always sends
 * `Sec-Fetch-Mode: cors`, where a browser's page navigation sends `navigate`.
 */
export function rawGet(
  origin: string,
  path: string,
  headers: string[],
): Promise<{ status: number; headers: IncomingHttpHeaders }> {
  const { host, port } = new URL(origin)
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: host.split(':')[0], port, path, headers: ['Host', host, ...headers] },
      (res) => {
        res.resume()
        resolve({ status: res.statusCode ?? 0, headers: res.headers })
      },
    )
    req.on('error', reject)
    req.end()
  })
}
