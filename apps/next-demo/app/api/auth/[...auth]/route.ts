// The login, callback, logout and session routes under /api/auth (createNextAuth's basePath).
import { nextAuth } from '../../../../lib/auth.js'

export const { GET, POST } = nextAuth.handlers
