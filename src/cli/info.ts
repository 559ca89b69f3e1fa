// `seal info`: what this machine offers and which kernels will run.
import { kernelStatus, kernels } from '../kernels/index.js';

export function info(argv: string[]): number {
  const status = kernelStatus();
  const features = status.native?.features;
  if (argv.includes('--json')) {
    console.log(JSON.stringify({ ...status, threads: kernels.threads() }));
    return 0;
  }
  console.log(`kernels: ${status.path}${status.reason ? ` (TypeScript fallback: ${status.reason})` : ''}`);
  if (status.native?.isaNote) console.log(`note: ${status.native.isaNote}`);
  if (features) {
    const on = Object.entries(features).filter(([, v]) => v).map(([k]) => k);
    console.log(`cpu features: ${on.length ? on.join(' ') : '(none of avx2/avx512 reported)'}`);
  } else {
    console.log('cpu features: unknown (native addon not loaded)');
  }
  console.log(`threads: ${kernels.threads()}`);
  return 0;
}
