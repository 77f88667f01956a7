import type { IncomingMessage, ServerResponse } from 'node:http'
import {
  ConfigurableModuleBuilder,
  Inject,
  Injectable,
  Logger,
  type MiddlewareConsumer,
  Module,
  type NestMiddleware,
  type NestModule,
  RequestMethod,
} from '@nestjs/common'
import { APP_GUARD } from '@nestjs/core'
import { AUTH_RUNTIME } from './auth.constants.js'
import { AuthExceptionFilter } from './auth.exception.js'
import { AuthGuard } from './auth.guard.js'
import {
  type AuthModuleExtras,
  type AuthModuleOptions,
  type AuthRuntime,
  createRuntime,
} from './auth.options.js'
import { AuthService } from './auth.service.js'

const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } =
  new ConfigurableModuleBuilder<AuthModuleOptions>({ moduleName: 'Auth' })
    .setClassMethodName('forRoot')
    .setExtras<AuthModuleExtras>({ globalGuard: false }, (definition, extras) => ({
      ...definition,
      // Global, so that `@UseGuards(AuthGuard)` resolves in any feature module.
      global: true,
      providers: [
        ...(definition.providers ?? []),
        ...(extras.globalGuard === true ? [{ provide: APP_GUARD, useClass: AuthGuard }] : []),
      ],
    }))
    .build()

/** The injection token of the raw `AuthModuleOptions` (as given to `forRoot` or made by `useFactory`). */
export const AUTH_MODULE_OPTIONS: string | symbol = MODULE_OPTIONS_TOKEN
/** The argument of `AuthModule.forRoot()`. */
export type AuthModuleForRootOptions = typeof OPTIONS_TYPE
/** The argument of `AuthModule.forRootAsync()`. */
export type AuthModuleAsyncOptions = typeof ASYNC_OPTIONS_TYPE

const logger = new Logger('AuthModule')

/**
 * Serves the login, callback, logout and session routes through the core's Node bridge, as
 * middleware rather than a controller: (1) the paths come from the options, which `forRootAsync`
 * only knows at run time, after controllers are registered; (2) on Fastify, middleware runs in
 * the `onRequest` hook, before Fastify reads the body, so a `form_post` callback streams from the
 * raw request (on Express, Nest's body parsers run first and the bridge re-encodes `req.body`);
 * (3) the core's answer (redirects, several `Set-Cookie`s) goes out untouched by interceptors,
 * pipes or serializers. Both platforms hand middleware Node's `req`/`res`.
 */
@Injectable()
export class AuthRoutesMiddleware implements NestMiddleware {
  constructor(@Inject(AUTH_RUNTIME) private readonly runtime: AuthRuntime) {}

  use(req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): void {
    const { login, serveLogin, protectedResource } = this.runtime
    // The full path as the client sent it, as the bridge gives it to the core.
    const target = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/'
    const query = target.indexOf('?')
    const pathname = query === -1 ? target : target.slice(0, query)
    if (protectedResource !== undefined && pathname === protectedResource.metadataPath) {
      const { status, headers, body } = protectedResource.describe(req.method ?? 'GET')
      res.writeHead(status, headers).end(req.method === 'HEAD' ? undefined : body)
      return
    }
    if (login === undefined || serveLogin === undefined) {
      next()
      return
    }
    // Without `next`: failures the client caused are answered by the bridge, anything else is a
    // logged, opaque 500 rather than the platform's default error page.
    if (login.isAuthRoute(pathname)) serveLogin(req, res)
    else next()
  }
}

/**
 * Bearer tokens and web login for a Nest application (Express or Fastify):
 * `AuthModule.forRoot({ verifier, login, realm })` or
 * `AuthModule.forRootAsync({ imports, inject, useFactory })`. The module is global; it provides
 * `AuthService` and `AuthExceptionFilter`, serves the login routes when `login` is set, and with
 * `globalGuard: true` protects every route with `AuthGuard`.
 */
@Module({
  providers: [
    {
      provide: AUTH_RUNTIME,
      useFactory: (options: AuthModuleOptions) => createRuntime(options, (error) => logger.error(error)),
      inject: [MODULE_OPTIONS_TOKEN],
    },
    AuthService,
    AuthExceptionFilter,
  ],
  exports: [AUTH_RUNTIME, AuthService, AuthExceptionFilter],
})
export class AuthModule extends ConfigurableModuleClass implements NestModule {
  constructor(@Inject(AUTH_RUNTIME) private readonly runtime: AuthRuntime) {
    super()
  }

  configure(consumer: MiddlewareConsumer): void {
    if (this.runtime.login === undefined && this.runtime.protectedResource === undefined) return
    // Every path, then `isAuthRoute`: the core owns the paths (`basePath`, `routes`), and a
    // global prefix set with `setGlobalPrefix` then only needs to be part of `basePath`.
    consumer.apply(AuthRoutesMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL })
  }
}
