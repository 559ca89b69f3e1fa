// `npm run bench -- load [--json]`: peak resident memory while loading a model, against the bytes
// of the weights it holds (the loader must not make a second copy: target <= 1.15x). Each load
// runs in a fresh process so the peak is the load's own.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { benchModel, QWEN25_05B } from './models.js';

const self = fileURLToPath(import.meta.url);

interface LoadRow { file: string; heldAs: string; weightBytes: number; peakRssBytes: number; ratio: number; seconds: number }

export async function main(args: string[]): Promise<void> {
  if (args[0] === '--child') return child(args[1]!, args[2] as 'auto' | 'bf16');
  const rows: LoadRow[] = [];
  for (const [file, heldAs] of [['F32', 'auto'], ['BF16', 'auto'], ['F32', 'bf16']] as const) {
    const dir = benchModel('qwen2.5-0.5b', QWEN25_05B, file);
    const r = spawnSync(process.execPath, [self, '--child', dir, heldAs], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`load child failed: ${r.stderr}`);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    rows.push({ file, heldAs: heldAs === 'auto' ? file.toLowerCase() : heldAs, ...out, ratio: out.peakRssBytes / out.weightBytes });
  }
  console.log('file  held as  weights MB  peak RSS MB  peak/weights  seconds');
  for (const r of rows) {
    console.log(`${r.file.padEnd(5)} ${r.heldAs.padEnd(8)} ${(r.weightBytes / 1e6).toFixed(0).padStart(10)} ${(r.peakRssBytes / 1e6).toFixed(0).padStart(12)} ${r.ratio.toFixed(3).padStart(13)} ${r.seconds.toFixed(2).padStart(8)}`);
  }
  if (args.includes('--json')) console.log(JSON.stringify(rows));
}

async function child(dir: string, dtype: 'auto' | 'bf16'): Promise<void> {
  const { loadModel } = await import('../src/model/load.js');
  const t0 = performance.now();
  const { model } = loadModel(dir, { dtype });
  const seconds = (performance.now() - t0) / 1000;
  let weightBytes = 0;
  for (const p of model.params.values()) weightBytes += p.data.byteLength;
  console.log(JSON.stringify({ weightBytes, peakRssBytes: process.resourceUsage().maxRSS * 1024, seconds }));
}

if (process.argv[1] === self) await main(process.argv.slice(2));
