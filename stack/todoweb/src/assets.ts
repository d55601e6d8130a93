// Static assets. Names carry a content hash (app.<hash>.css), so pages and files from different
// versions can share one volume during a rolling update without overwriting each other.
//
// As in the seeds, the web task populates the shared assets volume at start and the frontend
// nginx serves it under /assets/; the web also serves the same files itself, which is what the
// frontend nginx falls back to on a node where no web task has populated the volume (a named
// volume is per node).
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface Asset {
  /** hashed file name, e.g. app.3f2a9c1b.css */
  name: string;
  /** original name, e.g. app.css */
  source: string;
  body: Buffer;
  type: string;
}

const TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

export function hashedName(source: string, body: Buffer): string {
  const ext = path.extname(source);
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 10);
  return `${path.basename(source, ext)}.${hash}${ext}`;
}

export function loadAssets(dir: string): Map<string, Asset> {
  const out = new Map<string, Asset>();
  for (const source of readdirSync(dir).sort()) {
    const full = path.join(dir, source);
    if (!statSync(full).isFile()) continue;
    const body = readFileSync(full);
    const name = hashedName(source, body);
    out.set(name, { name, source, body, type: TYPES[path.extname(source)] ?? 'application/octet-stream' });
  }
  return out;
}

/** url of an asset by its original name ('/assets/app.<hash>.css') */
export function assetUrl(assets: Map<string, Asset>, source: string): string {
  for (const a of assets.values()) if (a.source === source) return `/assets/${a.name}`;
  throw new Error(`asset ${source} missing`);
}

/**
 * Copies the hashed assets into outDir (write to a temp name, then rename: nginx never serves a
 * half-written file). Returns the names written; throws when outDir is not usable.
 */
export function publishAssets(assets: Map<string, Asset>, outDir: string): string[] {
  mkdirSync(outDir, { recursive: true });
  const written: string[] = [];
  for (const a of assets.values()) {
    const tmp = path.join(outDir, `.${a.name}.${process.pid}.tmp`);
    writeFileSync(tmp, a.body);
    renameSync(tmp, path.join(outDir, a.name));
    written.push(a.name);
  }
  return written;
}
