// Renders a run folder into report.html, summary.md, junit.xml and result.json inside that folder.
// `npm run load`, `chaos` and `gameday` call renderRunFolder at the end; `npm run report -- <run>`
// re-renders any folder. This is the I/O edge: it reads the assets the pure renderers need.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EnvironmentError } from '../scripts/lib/errors.ts';
import { loadRun, type LoadOptions } from './load-run.ts';
import type { RunResult } from './model.ts';
import { renderHtml, type HtmlAssets } from './render/html.ts';
import { renderJson } from './render/json.ts';
import { renderJunit } from './render/junit.ts';
import { renderMarkdown } from './render/markdown.ts';

export const OUTPUT_FILES = { html: 'report.html', markdown: 'summary.md', junit: 'junit.xml', json: 'result.json' } as const;

const here = path.dirname(fileURLToPath(import.meta.url));
let cachedAssets: HtmlAssets | null = null;

/** ECharts (inlined so the report works offline), the client script and the stylesheet. */
export function loadHtmlAssets(): HtmlAssets {
  if (cachedAssets) return cachedAssets;
  const require = createRequire(import.meta.url);
  let echartsPath: string;
  try {
    echartsPath = require.resolve('echarts/dist/echarts.min.js');
  } catch (err) {
    throw new EnvironmentError('echarts is not installed (expected node_modules/echarts/dist/echarts.min.js); run npm ci', { cause: err });
  }
  cachedAssets = {
    echarts: fs.readFileSync(echartsPath, 'utf8'),
    clientJs: fs.readFileSync(path.join(here, 'templates', 'report.client.js'), 'utf8'),
    css: fs.readFileSync(path.join(here, 'templates', 'report.css'), 'utf8'),
  };
  return cachedAssets;
}

export interface Rendered {
  html: string;
  markdown: string;
  junit: string;
  json: string;
}

export function renderAll(result: RunResult, reportPath?: string): Rendered {
  return {
    html: renderHtml(result, loadHtmlAssets()),
    markdown: renderMarkdown(result, { reportPath }),
    junit: renderJunit(result),
    json: renderJson(result),
  };
}

function writeAtomic(dir: string, file: string, text: string): void {
  const target = path.join(dir, file);
  fs.writeFileSync(`${target}.tmp`, text);
  fs.renameSync(`${target}.tmp`, target);
}

/** Reads a run folder, renders every format and writes them into the folder. */
export async function renderRunFolder(dir: string, opts: LoadOptions = {}): Promise<Rendered> {
  const result = await loadRun(dir, opts);
  const rel = path.relative(process.cwd(), path.join(dir, OUTPUT_FILES.html));
  const rendered = renderAll(result, rel && !rel.startsWith('..') ? rel : path.resolve(dir, OUTPUT_FILES.html));
  writeAtomic(dir, OUTPUT_FILES.html, rendered.html);
  writeAtomic(dir, OUTPUT_FILES.markdown, rendered.markdown);
  writeAtomic(dir, OUTPUT_FILES.junit, rendered.junit);
  writeAtomic(dir, OUTPUT_FILES.json, rendered.json);
  return rendered;
}

