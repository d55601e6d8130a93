// Server-side rendering of the dashboard: pure functions from data to HTML. Every value that
// comes from the API or the request is escaped.
import { CONTENT_MAX, STATUSES, TITLE_MAX } from '../../shared/todo.ts';
import type { Status, Todo } from './api-client.ts';

export const COLUMNS: readonly Status[] = STATUSES;
export const NEXT: Partial<Record<Status, Status>> = { TODO: 'PROGRESS', PROGRESS: 'DONE' };

export function escapeHtml(v: unknown): string {
  return (
    String(v)
      .replace(/[&<>"'`=]/g, (c) => `&#${c.charCodeAt(0)};`)
      // control characters (NUL...) are not allowed in HTML text: show a replacement character
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g, '\uFFFD')
  );
}

export interface AssetUrls {
  css: string;
  js: string;
}

export interface DashboardModel {
  columns: Record<Status, Todo[]>;
  /** shown in a banner (e.g. a column could not be loaded) */
  errors: string[];
  renderedAt: string;
  assets: AssetUrls;
  perColumn: number;
}

function card(t: Todo): string {
  const next = NEXT[t.status];
  const move = next
    ? `<form method="post" action="/items/${escapeHtml(t.id)}/move"><input type="hidden" name="from" value="${escapeHtml(t.status)}"><button type="submit">&rarr; ${escapeHtml(next)}</button></form>`
    : '';
  return `<article class="card" data-id="${escapeHtml(t.id)}">
<h3>${escapeHtml(t.title)}</h3>
${t.content ? `<p>${escapeHtml(t.content)}</p>` : ''}
<footer><time datetime="${escapeHtml(t.updated)}">#${escapeHtml(t.id)} &middot; ${escapeHtml(t.updated)}</time>${move}</footer>
</article>`;
}

function column(status: Status, items: Todo[] | undefined, perColumn: number): string {
  const body =
    items === undefined
      ? '<p class="empty">could not be loaded</p>'
      : items.length === 0
        ? '<p class="empty">nothing here</p>'
        : items.map(card).join('\n');
  const count = items === undefined ? '?' : items.length >= perColumn ? `${perColumn}+` : String(items.length);
  return `<section class="column" data-status="${escapeHtml(status)}"><h2><span>${escapeHtml(status)}</span><span>${escapeHtml(count)}</span></h2>
${body}
</section>`;
}

function page(title: string, assets: AssetUrls, main: string, renderedAt?: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="${escapeHtml(assets.css)}">
</head>
<body>
<header><h1>TODO</h1>${renderedAt ? `<small data-rendered-at="${escapeHtml(renderedAt)}">rendered ${escapeHtml(renderedAt)}</small>` : ''}</header>
<main>
${main}
</main>
<script src="${escapeHtml(assets.js)}" defer></script>
</body>
</html>
`;
}

export function renderDashboard(m: DashboardModel): string {
  const banner = m.errors.length ? `<div class="banner" role="alert">${m.errors.map(escapeHtml).join('<br>')}</div>` : '';
  const form = `<form class="new" method="post" action="/items">
<input name="title" placeholder="Title" required maxlength="${TITLE_MAX}" aria-label="Title">
<textarea name="content" placeholder="Details (optional)" maxlength="${CONTENT_MAX}" aria-label="Details"></textarea>
<button type="submit">Add</button>
</form>`;
  const board = `<div class="board">${COLUMNS.map((s) => column(s, m.columns[s], m.perColumn)).join('\n')}</div>`;
  return page('TODO dashboard', m.assets, banner + form + board, m.renderedAt);
}

export function renderError(status: number, message: string, assets: AssetUrls): string {
  return page(
    `Error ${status}`,
    assets,
    `<div class="banner" role="alert"><strong>${escapeHtml(status)}</strong> ${escapeHtml(message)}</div><p><a href="/">Back to the dashboard</a></p>`,
  );
}
