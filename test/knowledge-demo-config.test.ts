// configs/knowledge-demo.yaml says it reproduces `seal demo`: read through the real config loader,
// it must resolve to exactly the demo's configuration, so the file cannot drift from the demo.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { loadKnowledgeConfig } from '../src/recipes/knowledge-config.js';
import { demoConfig } from '../src/recipes/demo.js';

test('configs/knowledge-demo.yaml resolves to the configuration `seal demo` runs', () => {
  const file = fileURLToPath(new URL('../../configs/knowledge-demo.yaml', import.meta.url));
  assert.deepEqual(loadKnowledgeConfig(file), demoConfig());
});
