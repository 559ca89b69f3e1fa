// Builds the native kernels at install time. A failed build is not fatal: the pure TypeScript
// kernels take over, and `seal info` says why.
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const failure = join(root, 'build', 'native-build-failed.txt');
if (process.env.SEAL_SKIP_NATIVE === '1') {
  console.log('seal: SEAL_SKIP_NATIVE=1, not building the native kernels (TypeScript kernels will be used)');
  process.exit(0);
}
// Inside npm scripts npm names its bundled node-gyp; run by hand, look for the copy beside npm.
const bundled = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
const gypScript = process.env.npm_config_node_gyp || (existsSync(bundled) ? bundled : null);
// Build against the headers of the running Node when it ships them (no download: we are offline).
const localHeaders = join(dirname(process.execPath), '..');
const args = ['rebuild'];
if (!process.env.npm_config_nodedir && existsSync(join(localHeaders, 'include', 'node', 'node_api.h'))) {
  args.push(`--nodedir=${localHeaders}`);
}
const gyp = gypScript ? [process.execPath, [gypScript, ...args]] : ['node-gyp', args];
const result = spawnSync(gyp[0], gyp[1], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
if (result.status === 0 && existsSync(join(root, 'build', 'Release', 'seal_native.node'))) {
  rmSync(failure, { force: true });
} else {
  const why = result.error ? String(result.error) : `node-gyp exited with status ${result.status}`;
  try { writeFileSync(failure, why + '\n'); } catch { /* build dir may not exist */ }
  console.warn(`seal: native kernels were not built (${why}); falling back to TypeScript kernels`);
}
