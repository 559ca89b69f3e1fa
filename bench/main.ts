// Benchmark dispatcher: `npm run bench -- <subcommand> [options]`.
// Each subcommand lives in its own module and is loaded only when asked for.
interface Subcommand {
  describe: string;
  run(args: string[]): Promise<void>;
}

const subcommands: Record<string, Subcommand> = {
  kernels: {
    describe: 'gemm/gemv against OpenBLAS and the DRAM read bandwidth (--json: JSON summary as the last line)',
    run: async (args) => (await import('./kernels.js')).main(args),
  },
  generate: {
    describe: 'prefill/decode tokens/s on a Qwen2.5-0.5B shape (fp32, bf16) vs the DRAM bound and PyTorch; batched sampling',
    run: async (args) => (await import('./generate.js')).main(args),
  },
  load: {
    describe: 'peak RSS while loading a Qwen2.5-0.5B-shaped model against its weight bytes (fp32, bf16, fp32→bf16)',
    run: async (args) => (await import('./load.js')).main(args),
  },
  lora: {
    describe: 'LoRA SFT tokens/s and peak RSS on a Qwen2.5-0.5B shape vs PyTorch; one SEAL inner loop',
    run: async (args) => (await import('./lora.js')).main(args),
  },
};

function usage(): string {
  const lines = ['usage: npm run bench -- <subcommand> [options]', '', 'subcommands:'];
  for (const [name, sub] of Object.entries(subcommands)) lines.push(`  ${name.padEnd(10)} ${sub.describe}`);
  return lines.join('\n');
}

const [name, ...rest] = process.argv.slice(2);
if (!name || name === '--help' || name === '-h') {
  console.log(usage());
  process.exit(name ? 0 : 1);
}
const sub = subcommands[name];
if (!sub) {
  console.error(`bench: unknown subcommand '${name}'\n\n${usage()}`);
  process.exit(1);
}
await sub.run(rest);
