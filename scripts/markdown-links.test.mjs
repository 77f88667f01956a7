// Run by `npm test` (scripts/bootstrap.mjs) with `node --test`: the scripts have no package of their own.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { relativeLinks } from './markdown-links.mjs'

test('absolute links and in-page anchors pass', () => {
  const markdown = [
    'See [the core](https://github.com/org/org-auth/blob/main/packages/core/README.md#web-login).',
    '[Options](#options), <https://example.com>, [mail](mailto:security@example.com).',
    '![logo](https://example.com/logo.png) and <a href="https://example.com">a page</a>.',
    '[ref]: https://example.com/ref',
  ].join('\n')
  assert.deepEqual(relativeLinks(markdown), [])
})

test('relative links, images, references and HTML attributes are found, with their lines', () => {
  const markdown = [
    '# Title',
    'Adapter for [`@org/auth-core`](../core) and [the guide](<../../docs/migrating.md> "Guide").',
    '![diagram](docs/diagram.svg)',
    '[ref]: ./OTHER.md',
    '<img src="logo.png"> <a href=\'/docs\'>docs</a> [protocol-relative](//example.com/x)',
  ].join('\n')
  assert.deepEqual(relativeLinks(markdown), [
    { line: 2, target: '../core' },
    { line: 2, target: '../../docs/migrating.md' },
    { line: 3, target: 'docs/diagram.svg' },
    { line: 4, target: './OTHER.md' },
    { line: 5, target: '//example.com/x' },
    { line: 5, target: 'logo.png' },
    { line: 5, target: '/docs' },
  ])
})

test('code blocks and code spans are not links', () => {
  const markdown = [
    '```ts',
    'res.send(\'<a href="/auth/login">Log in</a>\') // [x](../y)',
    '```',
    '~~~~',
    '```',
    '[inside](./still-code.md)',
    '~~~~',
    'A `<form action="/api/auth/logout">` and ``a [b](c) span`` here.',
    '[after](../after.md)',
  ].join('\n')
  assert.deepEqual(relativeLinks(markdown), [{ line: 9, target: '../after.md' }])
})
