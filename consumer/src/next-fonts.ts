/**
 * create-next-app's layout loads its fonts with `next/font/google`, which `next build` downloads
 * from Google Fonts; the check runs without internet. Next has a hook for its own tests,
 * `NEXT_FONT_GOOGLE_MOCKED_RESPONSES`: a CommonJS file mapping each Google Fonts CSS URL to the
 * CSS to use. Its font URLs are then fetched by Turbopack, so they point at a loopback server
 * answering placeholder bytes. The layout itself stays as generated.
 */
import { once } from 'node:events'
import { writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { createRequire } from 'node:module'
import { join } from 'node:path'

interface FontTools {
  validateGoogleFontFunctionCall(
    name: string,
    options: unknown,
  ): {
    fontFamily: string
    weights: string[]
    styles: string[]
    display: string
    selectedVariableAxes?: string[]
  }
  getFontAxes(family: string, weights: string[], styles: string[], axes?: string[]): unknown
  getGoogleFontsUrl(family: string, axes: unknown, display: string): string
}

/** Next's own functions for the CSS URL of a font call, from the project's `next`. */
function fontTools(projectDir: string): FontTools {
  const require = createRequire(join(projectDir, 'package.json'))
  const base = join(require.resolve('next/package.json'), '..', 'dist/compiled/@next/font/dist/google')
  return {
    ...(require(join(base, 'validate-google-font-function-call.js')) as Pick<
      FontTools,
      'validateGoogleFontFunctionCall'
    >),
    ...(require(join(base, 'get-font-axes.js')) as Pick<FontTools, 'getFontAxes'>),
    ...(require(join(base, 'get-google-fonts-url.js')) as Pick<FontTools, 'getGoogleFontsUrl'>),
  }
}

/** The functions imported from `next/font/google` in a source file (`Geist`, `Geist_Mono`). */
function googleFontImports(source: string): string[] {
  const imports = /import\s*\{([^}]*)\}\s*from\s*["']next\/font\/google["']/.exec(source)?.[1] ?? ''
  return imports
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean)
}

export interface FontMock {
  /** The environment for `next build`. */
  env: Record<string, string>
  close(): Promise<void>
}

/** Serves placeholder fonts and writes the mock for the fonts `layoutFile` imports (latin subset). */
export async function mockGoogleFonts(
  projectDir: string,
  layoutFile: string,
  mockFile: string,
): Promise<FontMock> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'font/woff2' })
    response.end(Buffer.alloc(1024, 1))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  const tools = fontTools(projectDir)
  const responses: Record<string, string> = {}
  for (const name of googleFontImports(layoutFile)) {
    const font = tools.validateGoogleFontFunctionCall(name, { subsets: ['latin'] })
    const axes = tools.getFontAxes(font.fontFamily, font.weights, font.styles, font.selectedVariableAxes)
    const url = tools.getGoogleFontsUrl(font.fontFamily, axes, font.display)
    responses[url] = [
      '@font-face {',
      `  font-family: '${font.fontFamily}';`,
      '  font-style: normal;',
      '  font-display: swap;',
      `  src: url(http://127.0.0.1:${port}/${encodeURIComponent(name)}.woff2) format('woff2');`,
      '  unicode-range: U+0000-00FF;',
      '}',
    ].join('\n')
  }
  writeFileSync(mockFile, `module.exports = ${JSON.stringify(responses, null, 2)}\n`)
  return {
    env: { NEXT_FONT_GOOGLE_MOCKED_RESPONSES: mockFile },
    close: async () => {
      server.close()
      server.closeAllConnections()
      await once(server, 'close')
    },
  }
}
