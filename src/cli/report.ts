// `seal report RUN_DIR`: the run's self-contained HTML page.
import { writeReport } from '../report/report.js';
import { parse, UsageError } from './args.js';

const USAGE = 'usage: seal report RUN_DIR [--out FILE.html]';

export async function reportCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { out: { type: 'string' } }, USAGE);
  if (positionals.length !== 1) throw new UsageError(USAGE);
  console.log(writeReport(positionals[0]!, values.out));
  return 0;
}
