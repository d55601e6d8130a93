// One A/B phase: the load engine runs load/ab/ab.ts against both routes (alternating blocks,
// bounded by blocks x block length + a fixed margin), and its per-request samples (--out json)
// are read back per block.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { EnvironmentError } from '../lib/errors.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface PhaseInput {
  engineBin: string;
  urls: { A: string; B: string };
  blocks: number;
  blockMs: number;
  rate: number;
  dir: string;
  name: string;
  /** the running engine, so an interrupt can stop it */
  onChild?: (c: ChildProcess | null) => void;
  log?: (line: string) => void;
}

export interface PhaseSamples {
  /** durations (ms) of the successful requests, per block */
  blocks: number[][];
  errors: { A: number; B: number };
  /** requests tagged with a side that does not match the block schedule (must be 0) */
  mislabelled: number;
  file: string;
}

export async function bundleAb(outDir: string): Promise<string> {
  const outfile = path.join(outDir, 'ab.js');
  try {
    await build({ entryPoints: [path.join(repoRoot, 'load', 'ab', 'ab.ts')], outfile, bundle: true, format: 'esm', platform: 'browser', target: 'es2020', external: ['k6', 'k6/*'], logLevel: 'silent' });
  } catch (err) {
    throw new EnvironmentError('bundling load/ab/ab.ts failed', { cause: err });
  }
  return outfile;
}

export async function runPhase(i: PhaseInput, bundle: string): Promise<PhaseSamples> {
  const file = path.join(i.dir, `${i.name}.samples.jsonl`);
  // a common start a few seconds out: the VUs are initialised before it, and the script's block
  // clock (AB_T0) is the same instant
  const t0 = Date.now() + 4000;
  const args = ['run', '--no-color', '--quiet', '--no-thresholds', '--out', `json=${file}`, '--start-at', new Date(t0).toISOString(), bundle];
  const vus = Math.max(10, Math.ceil(i.rate / 5));
  const env = { ...process.env, K6_NO_USAGE_REPORT: 'true', AB_URL_A: i.urls.A, AB_URL_B: i.urls.B, AB_T0: String(t0), AB_BLOCK_MS: String(i.blockMs), AB_BLOCKS: String(i.blocks), AB_RATE: String(i.rate), AB_VUS: String(vus) };
  const limitMs = i.blocks * i.blockMs + 60_000;
  const child = spawn(i.engineBin, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  i.onChild?.(child);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  child.stdout?.resume();
  const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  clearTimeout(timer);
  i.onChild?.(null);
  // 0 or 99 (thresholds are off, but tolerate it): both leave complete samples
  if (code !== 0 && code !== 99) throw new EnvironmentError(`gameday-engine (${i.name}) exited ${code}${code === null ? ` (killed after ${limitMs / 1000} s)` : ''}: ${stderr.trim().slice(-800)}`);
  return readSamples(file, i.blocks);
}

/** Per-block samples from a k6 `--out json` file of the A/B script. */
export async function readSamples(file: string, blocks: number): Promise<PhaseSamples> {
  const out: number[][] = Array.from({ length: blocks }, () => []);
  const errors = { A: 0, B: 0 };
  let mislabelled = 0;
  const rl = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  for await (const line of rl) {
    if (!line.includes('"http_req_duration"') || !line.includes('"Point"')) continue;
    const p = JSON.parse(line) as { data: { value: number; tags?: Record<string, string> } };
    const t = p.data.tags ?? {};
    const block = Number(t.ab_block);
    const side = t.ab_side as 'A' | 'B';
    if (!Number.isInteger(block) || block < 0 || block >= blocks || (side !== 'A' && side !== 'B')) continue;
    if (['A', 'B', 'B', 'A'][block % 4] !== side) mislabelled++;
    if (t.expected_response === 'false') errors[side]++;
    else out[block].push(p.data.value);
  }
  return { blocks: out, errors, mislabelled, file };
}
