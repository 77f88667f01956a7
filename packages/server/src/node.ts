/**
 * `@org/auth-server/node`: what needs Node's own HTTP types. The default entry stays
 * runtime-agnostic (Web `Request`/`Response` only).
 */
export {
  createNodeTokenServer,
  type NodeTokenServerListener,
  type NodeTokenServerOptions,
} from './token-server/node-listener.js'
