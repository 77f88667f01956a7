import { fileURLToPath } from 'node:url'

/** The repository root (this package lives in `consumer/`). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))
/** `consumer/fixtures`: one folder per generated project. */
export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url))
