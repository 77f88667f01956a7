import type { Metadata } from 'next'
import type { ReactNode } from 'react'
import { DEMO_NAME } from '../lib/auth.js'

// The look of the other demos (apps/demo-ui), inline: the page loads nothing external, so
// `next build` works offline.
const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
pre{background:#f4f4f5;padding:1rem;overflow:auto;border-radius:6px}nav a,nav form{margin-right:1rem}
nav{display:flex;align-items:center}button{font:inherit;cursor:pointer}.status{font-weight:600}`

export const metadata: Metadata = { title: DEMO_NAME, robots: { index: false } }

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <head>
        {/* A constant of this file, not user input. */}
        <style dangerouslySetInnerHTML={{ __html: STYLE }} />
      </head>
      <body>
        <nav>
          {/* Plain links: full page loads, as in the other demos (and the proxy sees each one). */}
          <a href="/">Home</a>
          <a href="/profile">API calls</a>
          <a href="/mfa">MFA settings</a>
          <a href="/passkeys">Passkeys</a>
        </nav>
        {children}
        <p>
          <small>{DEMO_NAME}: a demo of @org/auth, against the local dev identity provider.</small>
        </p>
      </body>
    </html>
  )
}
