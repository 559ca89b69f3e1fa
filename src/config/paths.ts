// Where the package keeps what it ships.
import { fileURLToPath } from 'node:url';

/** The shipped tiny model, the default --model of every command. */
export const DEFAULT_MODEL_DIR = fileURLToPath(new URL('../../../models/tiny', import.meta.url));
