// todoweb rendering: everything from the API is escaped; move buttons only where there is a next status.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeHtml, renderDashboard, renderError } from '../../stack/todoweb/src/render.ts';
import type { Todo } from '../../stack/todoweb/src/api-client.ts';
import { hashedName } from '../../stack/todoweb/src/assets.ts';

const item = (id: number, status: Todo['status'], title: string, content = ''): Todo => ({
  id,
  status,
  title,
  content,
  created: '2026-01-01T00:00:00Z',
  updated: '2026-01-01T00:00:00Z',
});
const assets = { css: '/assets/app.1.css', js: '/assets/app.1.js' };

test('escapeHtml escapes markup, quotes and control characters', () => {
  assert.equal(escapeHtml(`<a href="x" onclick='y'>&`), '&#60;a href&#61;&#34;x&#34; onclick&#61;&#39;y&#39;&#62;&#38;');
  assert.equal(escapeHtml('a\u0000b'), 'a\uFFFDb');
  assert.equal(escapeHtml('line\nbreak\ttab'), 'line\nbreak\ttab');
});

test('dashboard: three columns, escaped content, next-status forms, banner on errors', () => {
  const html = renderDashboard({
    columns: { TODO: [item(1, 'TODO', '<script>alert(1)</script>')], PROGRESS: [item(2, 'PROGRESS', 'p')], DONE: [item(3, 'DONE', 'd', '"quoted"')] },
    errors: ['DONE: <b>boom</b>'],
    renderedAt: '2026-01-01T00:00:00.000Z',
    assets,
    perColumn: 50,
  });
  assert.ok(!html.includes('<script>alert'), 'title escaped');
  assert.ok(html.includes('&#60;script&#62;alert(1)&#60;/script&#62;'));
  assert.ok(html.includes('&#34;quoted&#34;'));
  assert.ok(html.includes('&#60;b&#62;boom&#60;/b&#62;'), 'banner escaped');
  for (const s of ['TODO', 'PROGRESS', 'DONE']) assert.ok(html.includes(`data-status="${s}"`));
  assert.ok(html.includes('action="/items/1/move"') && html.includes('&rarr; PROGRESS'));
  assert.ok(html.includes('action="/items/2/move"') && html.includes('&rarr; DONE'));
  assert.ok(!html.includes('action="/items/3/move"'), 'DONE has no next status');
  assert.ok(html.includes('href="/assets/app.1.css"') && html.includes('src="/assets/app.1.js"'));
});

test('a column that failed to load is shown as such; error pages escape the message', () => {
  const html = renderDashboard({ columns: { TODO: [], PROGRESS: [] } as never, errors: ['x'], renderedAt: 'now', assets, perColumn: 50 });
  assert.ok(html.includes('could not be loaded'));
  assert.ok(renderError(400, "title: got '<x>'", assets).includes('&#39;&#60;x&#62;&#39;'));
});

test('asset names carry a content hash', () => {
  const a = hashedName('app.css', Buffer.from('a'));
  assert.match(a, /^app\.[0-9a-f]{10}\.css$/);
  assert.notEqual(a, hashedName('app.css', Buffer.from('b')));
  assert.equal(a, hashedName('app.css', Buffer.from('a')));
});
