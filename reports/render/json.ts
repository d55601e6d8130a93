// result.json: the whole RunResult (schema: reports/result.schema.json, version in schemaVersion). Pure.
import type { RunResult } from '../model.ts';

export function renderJson(r: RunResult): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}
