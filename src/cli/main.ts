// The `seal` command line. Each subcommand lives in its own module; this file only dispatches.
import { info } from './info.js';
import { generateCommand } from './generate.js';
import { scoreCommand } from './score.js';
import { finetuneCommand } from './finetune.js';
import { pretrainCommand } from './pretrain.js';
import { knowledgeCommand } from './knowledge.js';
import { arcCommand } from './arc.js';
import { reportCommand } from './report.js';
import { demoCommand } from './demo.js';
import { UsageError } from './args.js';

const commands: Record<string, (argv: string[]) => Promise<number> | number> = {
  info,
  generate: generateCommand,
  score: scoreCommand,
  finetune: finetuneCommand,
  pretrain: pretrainCommand,
  knowledge: knowledgeCommand,
  arc: arcCommand,
  report: reportCommand,
  demo: demoCommand,
};

function usage(): string {
  return [
    'usage: seal <command> [options]',
    '',
    'commands:',
    '  demo      SEAL end to end, offline, on the shipped tiny model (--quick: a few passages; --arc: mini-ARC)',
    '  info      CPU features, kernel path in use and thread count',
    '  generate  generate text from a prompt or chat message (streamed)',
    '  score     per-token log-probabilities and mean loss of a text',
    '  finetune  LoRA or full finetuning on a JSONL file ({text}, {prompt, completion} or {messages})',
    '  pretrain  train a shipped model from scratch (--preset tiny | tiny-arc)',
    '  knowledge knowledge incorporation: train (ReST-EM + baselines), eval, cpt, continual (--config FILE)',
    '  arc       ARC few-shot learning: train (ReST-EM + baselines), eval (--config FILE)',
    '  report    a self-contained HTML report of a run directory',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '-h' || name === '--help' || name === 'help') {
    console.log(usage());
    return name ? 0 : 1;
  }
  const command = commands[name];
  if (!command) {
    console.error(`seal: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  return command(rest);
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    console.error(`seal: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = err instanceof UsageError ? 2 : 1;
  },
);
