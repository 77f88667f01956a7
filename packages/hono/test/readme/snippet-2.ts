// Generated from README.md: do not edit.
import { requireAuth } from '@org/auth-hono'
import { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'

const app = new Hono()
app.use(
  '/api/*',
  requireAuth(
    { issuer: 'https://idp.example.com', audience: 'api', discovery: true },
    { throwHttpException: true },
  ),
)
app.onError((error, c) => {
  if (error instanceof HTTPException) {
    console.log('auth failure', (error.cause as { code?: string } | undefined)?.code)
    return error.getResponse()
  }
  return c.text('Internal Server Error', 500)
})
export {}
