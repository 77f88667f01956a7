// Finds the links of a Markdown document that only work inside the repository. A package's
// README is read on npmjs.com, in node_modules and in editor hovers, where `../core/README.md`
// or `docs/x.md` lead nowhere; absolute https links and in-page anchors (`#options`) work there.

/** Destinations that resolve wherever the document is read. */
const PORTABLE = /^(?:https:|http:|mailto:|#)/i

/** The text with fenced code blocks and code spans blanked out (code, not links), lines kept. */
function withoutCode(markdown) {
  const blank = (text) => text.replace(/[^\n]/g, ' ')
  let fence = null
  const prose = markdown.split('\n').map((line) => {
    const marker = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1]
    if (fence === null && marker !== undefined) {
      fence = marker
      return ''
    }
    if (fence !== null) {
      // A closing fence is the opening's character, at least as long, and nothing after it.
      const closes = marker !== undefined && marker[0] === fence[0] && marker.length >= fence.length
      if (closes && line.trim() === marker) fence = null
      return ''
    }
    return line
  })
  return prose.join('\n').replace(/(`+)[\s\S]*?\1/g, blank)
}

/**
 * Every link destination that is not an absolute http(s)/mailto URL or an in-page anchor:
 * inline links and images `[text](target)`, reference definitions `[label]: target`, and HTML
 * `href` / `src` attributes. Returns `{ line, target }` (1-based lines) in document order.
 */
export function relativeLinks(markdown) {
  const text = withoutCode(markdown)
  const patterns = [
    /\]\(\s*<?([^)\s>]*)/g, // [text](target "title"), ![alt](<target>)
    /^ {0,3}\[[^\]]+\]:\s*<?([^\s>]+)/gm, // [label]: target
    /\b(?:href|src)\s*=\s*["']([^"']*)["']/gi, // <a href="target">, <img src="target">
  ]
  const found = []
  for (const pattern of patterns) {
    for (const match of text.matchAll(pattern)) {
      const target = match[1]
      if (PORTABLE.test(target)) continue
      found.push({ line: text.slice(0, match.index).split('\n').length, target })
    }
  }
  return found.sort((a, b) => a.line - b.line)
}
