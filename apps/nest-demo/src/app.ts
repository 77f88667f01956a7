import 'reflect-metadata'
import type { IncomingMessage } from 'node:http'
import {
  Controller,
  type DynamicModule,
  Get,
  Header,
  HttpCode,
  type INestApplication,
  Inject,
  Module,
  Post,
  Req,
} from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express'
import { FastifyAdapter } from '@nestjs/platform-fastify'
import type { Auth, BearerVerifier } from '@org/auth-core'
import type { DelegationClient } from '@org/auth-core/delegation'
import {
  type AuthContext,
  AuthModule,
  AuthService,
  CurrentAuth,
  Public,
  RequireScopes,
  RequireSession,
  type SessionAuthContext,
} from '@org/auth-nest'
import {
  callApis,
  createMfaPages,
  createPasskeyPages,
  createSessionPages,
  type DemoPasskeys,
  homePage,
  profilePage,
} from '@org/demo-ui'
import { MFA_PAGES, MfaController } from './mfa.controller.js'
import { PASSKEY_PAGES, PasskeysController } from './passkeys.controller.js'
import { SESSION_PAGES, SessionsController } from './sessions.controller.js'

export interface DemoOptions {
  /** Verifies the access tokens the API routes receive. */
  verifier: BearerVerifier
  /** The web login (createAuth) of this demo. */
  auth: Auth
  /** The MFA delegation client of the "MFA settings" pages. */
  delegation: DelegationClient
  /** The passkeys page's stores and public origin (`demoPasskeys(settings)`). Default: memory, any localhost port. */
  passkeys?: DemoPasskeys
  /** The HTTP platform under Nest. Default: `express`. */
  platform?: 'express' | 'fastify'
}

const NAME = 'nest-demo'
const HTML = 'text/html; charset=utf-8'

/** The local port of the connection (Express's `req` is Node's request, Fastify's wraps it). */
function localPort(request: object): number | undefined {
  const node = 'raw' in request ? (request.raw as IncomingMessage) : (request as IncomingMessage)
  return node.socket.localPort
}

/** The pages: public home, and the profile page that needs a session. */
@Controller()
class PagesController {
  constructor(@Inject(AuthService) private readonly auth: AuthService) {}

  private get paths() {
    return { login: this.auth.login.paths.login, logout: this.auth.login.paths.logout }
  }

  @Get()
  @Public()
  @Header('content-type', HTML)
  async home(@Req() request: object): Promise<string> {
    const session = await this.auth.getSession(request)
    return homePage(NAME, this.paths, session?.user ?? null)
  }

  @Get('profile')
  @RequireSession()
  @Header('content-type', HTML)
  async profile(@Req() request: object, @CurrentAuth() auth: SessionAuthContext): Promise<string> {
    // The app's own address from the socket, never from the Host header: the call carries a token.
    const calls = await callApis(`http://127.0.0.1:${localPort(request)}`, auth.token)
    return profilePage(NAME, this.paths, auth.claims, calls)
  }
}

/** The API: any valid token; scope `write`; scope `admin`. The global AuthGuard protects it. */
@Controller('api')
class ApiController {
  @Get('profile')
  profile(@CurrentAuth() auth: AuthContext) {
    return { sub: auth.claims.sub, scopes: auth.scopes }
  }

  @Post('notes')
  @HttpCode(201)
  @RequireScopes('write')
  createNote(@CurrentAuth('claims') claims: AuthContext['claims']) {
    return { created: true, by: claims.sub }
  }

  @Get('admin')
  @RequireScopes('admin')
  admin() {
    return { admin: true }
  }
}

@Module({})
class DemoModule {
  static with({ verifier, auth, delegation, passkeys }: DemoOptions): DynamicModule {
    const paths = { login: auth.paths.login, logout: auth.paths.logout }
    return {
      module: DemoModule,
      imports: [
        AuthModule.forRoot({
          verifier,
          login: auth,
          realm: NAME,
          // Logs the stable code only: messages never carry tokens, but codes are what dashboards group by.
          onError: (error) => console.log(`auth: ${error.code}`),
          // Every route needs a bearer token unless it is @Public() or @RequireSession().
          globalGuard: true,
        }),
      ],
      controllers: [PagesController, MfaController, SessionsController, PasskeysController, ApiController],
      providers: [
        { provide: MFA_PAGES, useValue: createMfaPages({ demo: NAME, client: delegation, paths }) },
        { provide: SESSION_PAGES, useValue: createSessionPages({ demo: NAME, auth, paths }) },
        { provide: PASSKEY_PAGES, useValue: createPasskeyPages({ demo: NAME, auth, paths, ...passkeys }) },
      ],
    }
  }
}

/**
 * The demo as a Nest application, initialised but not listening: `await app.listen(port)`. A
 * home page with login/logout and the user's claims, a page that calls the protected API with
 * the session's access token, MFA settings (delegation to the IdP), and the API.
 */
export async function createApp(options: DemoOptions): Promise<INestApplication> {
  const adapter = options.platform === 'fastify' ? new FastifyAdapter() : new ExpressAdapter()
  const app = await NestFactory.create(DemoModule.with(options), adapter, { logger: ['error', 'warn'] })
  if (adapter instanceof ExpressAdapter) (app as NestExpressApplication).disable('x-powered-by')
  await app.init()
  return app
}
