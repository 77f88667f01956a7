/** The injection token of the resolved module options (`AuthRuntime`), shared by guards and services. */
export const AUTH_RUNTIME: unique symbol = Symbol.for('@org/auth-nest/runtime')

/** Metadata keys, namespaced so they never collide with an application's own. */
export const PUBLIC_KEY = '@org/auth-nest:public'
export const SCOPES_KEY = '@org/auth-nest:scopes'
export const SESSION_KEY = '@org/auth-nest:session'
export const STEP_UP_KEY = '@org/auth-nest:step-up'
