// Reads a model directory's weights: model.safetensors, or shards listed in
// model.safetensors.index.json. Every tensor the architecture needs is checked for presence and
// shape (errors name the file and the tensor) and read once, straight into its final array.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelConfig } from './config.js';
import { readHeader, readTensor, type MemoryDtype, type SafetensorsHeader, type TensorInfo } from './safetensors.js';

export interface RawTensor {
  shape: number[];
  data: Float32Array | Uint16Array;
}

/** 'auto' keeps what the file holds (F32 → fp32, BF16 → bf16, F16 → fp32). */
export type LoadDtype = MemoryDtype | 'auto';

/** The tensor names and shapes an architecture needs, in Hugging Face naming. */
export function expectedShapes(c: ModelConfig): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  const H = c.hiddenSize;
  const qDim = c.numHeads * c.headDim;
  const kvDim = c.numKvHeads * c.headDim;
  shapes.set('model.embed_tokens.weight', [c.vocabSize, H]);
  for (let i = 0; i < c.numLayers; i++) {
    const p = `model.layers.${i}.`;
    shapes.set(`${p}input_layernorm.weight`, [H]);
    shapes.set(`${p}self_attn.q_proj.weight`, [qDim, H]);
    shapes.set(`${p}self_attn.k_proj.weight`, [kvDim, H]);
    shapes.set(`${p}self_attn.v_proj.weight`, [kvDim, H]);
    shapes.set(`${p}self_attn.o_proj.weight`, [H, qDim]);
    if (c.qkvBias) {
      shapes.set(`${p}self_attn.q_proj.bias`, [qDim]);
      shapes.set(`${p}self_attn.k_proj.bias`, [kvDim]);
      shapes.set(`${p}self_attn.v_proj.bias`, [kvDim]);
    }
    if (c.oBias) shapes.set(`${p}self_attn.o_proj.bias`, [H]);
    if (c.qkNorm) {
      shapes.set(`${p}self_attn.q_norm.weight`, [c.headDim]);
      shapes.set(`${p}self_attn.k_norm.weight`, [c.headDim]);
    }
    shapes.set(`${p}post_attention_layernorm.weight`, [H]);
    shapes.set(`${p}mlp.gate_proj.weight`, [c.intermediateSize, H]);
    shapes.set(`${p}mlp.up_proj.weight`, [c.intermediateSize, H]);
    shapes.set(`${p}mlp.down_proj.weight`, [H, c.intermediateSize]);
    if (c.mlpBias) {
      shapes.set(`${p}mlp.gate_proj.bias`, [c.intermediateSize]);
      shapes.set(`${p}mlp.up_proj.bias`, [c.intermediateSize]);
      shapes.set(`${p}mlp.down_proj.bias`, [H]);
    }
  }
  shapes.set('model.norm.weight', [H]);
  if (!c.tieEmbeddings) shapes.set('lm_head.weight', [c.vocabSize, H]);
  return shapes;
}

/** Which file holds each tensor: the single file, or the shards of the index. */
export function locateTensors(dir: string): { headers: SafetensorsHeader[]; where: Map<string, SafetensorsHeader>; source: string } {
  const single = join(dir, 'model.safetensors');
  const indexPath = join(dir, 'model.safetensors.index.json');
  const where = new Map<string, SafetensorsHeader>();
  if (existsSync(indexPath)) {
    let index: { weight_map?: Record<string, string> };
    try {
      index = JSON.parse(readFileSync(indexPath, 'utf8'));
    } catch (err) {
      throw new Error(`${indexPath}: malformed JSON (${(err as Error).message})`);
    }
    if (!index.weight_map || typeof index.weight_map !== 'object') {
      throw new Error(`${indexPath}: field 'weight_map' is missing or not an object`);
    }
    const headers = new Map<string, SafetensorsHeader>();
    for (const [name, file] of Object.entries(index.weight_map)) {
      let header = headers.get(file);
      if (!header) {
        const path = join(dir, file);
        if (!existsSync(path)) throw new Error(`${indexPath}: weight_map names shard '${file}' for '${name}', but ${path} does not exist`);
        header = readHeader(path);
        headers.set(file, header);
      }
      if (!header.tensors.has(name)) throw new Error(`${header.path}: tensor '${name}' is listed in ${indexPath} but missing from the shard`);
      where.set(name, header);
    }
    return { headers: [...headers.values()], where, source: indexPath };
  }
  if (!existsSync(single)) throw new Error(`${dir}: no model.safetensors or model.safetensors.index.json`);
  const header = readHeader(single);
  for (const name of header.tensors.keys()) where.set(name, header);
  return { headers: [header], where, source: single };
}

/**
 * Loads every tensor the config needs. Matrices are held as `dtype` ('auto' keeps the file's
 * dtype, F16 becomes fp32); 1-D tensors (norms, biases) are always fp32: tiny, and read at every
 * step.
 */
export function loadWeights(dir: string, config: ModelConfig, dtype: LoadDtype = 'auto'): Map<string, RawTensor> {
  const { where, source } = locateTensors(dir);
  const expected = expectedShapes(config);
  const out = new Map<string, RawTensor>();
  for (const [name, shape] of expected) {
    const header = where.get(name);
    if (!header) throw new Error(`${source}: tensor '${name}' is missing (needed by ${config.architecture} with this config.json)`);
    const info = header.tensors.get(name) as TensorInfo;
    if (info.shape.length !== shape.length || info.shape.some((d, i) => d !== shape[i])) {
      throw new Error(`${header.path}: tensor '${name}' has shape [${info.shape}], expected [${shape}] from config.json`);
    }
    const want: MemoryDtype = shape.length === 1 ? 'f32' : dtype === 'auto' ? (info.dtype === 'BF16' ? 'bf16' : 'f32') : dtype;
    out.set(name, { shape, data: readTensor(info, header.path, want) });
  }
  return out;
}
