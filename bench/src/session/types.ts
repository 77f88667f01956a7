/**
 * What a session-bench server file declares. Every file in `servers/` exports `servers`, a list
 * of these; the runner and the child entry find them by reading that folder, so a new variant
 * (another store, another peer) is one new file there and nothing else.
 */
import type { Server } from 'node:http'

export type Framework = 'express' | 'hono'

/** How the bench gets a valid session cookie for a server before loading it. */
export type LoginKind =
  /** No session: the bare reference, answering `{"sub":"anonymous"}` to every request. */
  | 'none'
  /**
   * A real login through the server's own `/auth/login` route against the dev IdP (oidc-provider,
   * in the parent): the session our middleware then reads is the one our callback wrote.
   */
  | 'oidc'
  /**
   * `POST /bench/login` with `{ user, tokens }` (claims and tokens from a real dev-IdP login): a
   * peer library stores the same data the way its users would, and sets its own cookie.
   */
  | 'peer'

/** What a peer's `/bench/login` receives: the same claims and tokens our session keeps. */
export interface PeerSession {
  user: { sub: string } & Record<string, unknown>
  tokens: { accessToken: string; idToken?: string; refreshToken?: string; expiresAt?: number; scope?: string }
}

/** What a server is given in its child process. */
export interface SessionServerContext {
  port: number
  /** `http://127.0.0.1:<port>`: the server's public origin (`baseUrl`). */
  origin: string
  /** The dev IdP's issuer (servers with `login: 'oidc'`). */
  issuer: string
  /** A random secret of this bench run, for every cookie sealed or signed. */
  secret: string
  /** Redis of the run (`REDIS_URL`, default `redis://127.0.0.1:6379`). */
  redisUrl: string
  /** Key prefix of this run in Redis (every server's keys start with it; deleted afterwards). */
  redisPrefix: string
  /** This run's id (16 hex digits): for names of its own elsewhere, a database schema say. */
  runId: string
  /** The child's environment, for what a server needs beyond these (a database URL...). */
  env: NodeJS.ProcessEnv
}

export interface SessionServer {
  name: string
  framework: Framework
  /** `bare`: the reference of its framework; `ours`: our middleware; `peer`: another library. */
  role: 'bare' | 'ours' | 'peer'
  login: LoginKind
  /**
   * Services it needs that the runner knows: `redis` is pinged at the run's Redis URL before
   * anything starts, and the server is left out (saying so) when it does not answer.
   */
  needs: readonly 'redis'[]
  /**
   * Any other check, run in the parent before anything starts (a database answering `SELECT 1`
   * at `env.DATABASE_URL`, say): a reason to leave the server out, or `undefined` to run it.
   */
  unavailable?(env: NodeJS.ProcessEnv): Promise<string | undefined>
  /**
   * Run in the parent once the bench is over (servers stopped): deletes what the run left behind
   * outside Redis (whose keys under `redisPrefix` the runner deletes itself), by `runId`.
   */
  cleanup?(env: NodeJS.ProcessEnv, runId: string): Promise<void>
  /** One line for the README's table: what the server is. */
  description: string
  /** Starts the server on 127.0.0.1:`port`. */
  listen(context: SessionServerContext): Promise<Server>
}

/** Every session server answers this at `GET /protected`. */
export const PROTECTED_PATH = '/protected'
/** What bare servers answer as `sub`. */
export const ANONYMOUS = 'anonymous'
/** The dev IdP's user the bench logs in as. */
export const BENCH_USER = 'alice'
