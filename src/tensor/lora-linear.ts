// The fused LoRA projection, forward and hand-derived backward side by side (as unsloth does):
//   y = x·Wᵀ + b + s·(x'·Aᵀ)·Bᵀ        x' = x, or dropout(x) as a separate tensor
// Everything is a GEMM into the output or the gradients (beta = 1), so no elementwise pass over
// the [rows × out] activations is needed beyond what the base linear already does.
import { kernels } from '../kernels/index.js';
import { Tensor, uninitialized } from './tensor.js';
import { freshGrad, gradOf, record } from './autograd.js';
import { activeBufferPool } from './buffer-pool.js';
import { addRows, checkTrainable, f32, lastDim, opError, sumRowsInto } from './check.js';

export function loraLinear(
  x: Tensor, w: Tensor, bias: Tensor | null, a: Tensor, b: Tensor, scale: number, xLora: Tensor = x,
): Tensor {
  const op = 'loraLinear';
  if (w.shape.length !== 2) throw opError(op, `W must be [out, in], got ${w.label()}`);
  const [outF, inF] = w.shape as [number, number];
  const r = a.shape[0]!;
  if (lastDim(x) !== inF) throw opError(op, `x ${x.label()} does not fit W ${w.label()}`);
  if (a.shape.length !== 2 || a.shape[1] !== inF) throw opError(op, `A ${a.label()} must be [r, ${inF}]`);
  if (b.shape.length !== 2 || b.shape[0] !== outF || b.shape[1] !== r) throw opError(op, `B ${b.label()} must be [${outF}, ${r}]`);
  if (xLora.numel !== x.numel) throw opError(op, `the LoRA input ${xLora.label()} must match x ${x.label()}`);
  if (bias && (bias.shape.length !== 1 || bias.shape[0] !== outF)) throw opError(op, `bias ${bias.label()} must be [${outF}]`);
  checkTrainable(op, 'W', w);
  const xd = f32(op, 'x', x);
  const xl = f32(op, 'xLora', xLora);
  const ad = f32(op, 'A', a);
  const bd = f32(op, 'B', b);
  const rows = xd.length / inF;
  const y = uninitialized(rows * outF);
  kernels.gemm(false, true, rows, outF, inF, 1, xd, w.data, 0, y);
  if (bias) addRows(y, f32(op, 'bias', bias), rows, outF);
  const h = uninitialized(rows * r);
  kernels.gemm(false, true, rows, r, inF, 1, xl, ad, 0, h); // h = x'·Aᵀ
  kernels.gemm(false, true, rows, outF, r, scale, h, bd, 1, y); // y += s·h·Bᵀ
  const out = new Tensor(y, [...x.shape.slice(0, -1), outF]);
  const inputs = [x, w, a, b];
  if (bias) inputs.push(bias);
  if (xLora !== x) inputs.push(xLora);
  return record(op, out, inputs, (dy) => {
    if (x.requiresGrad) { // dx += dy·W (dx = dy·W into a fresh buffer when x has no gradient yet)
      const fresh = x.grad === null;
      kernels.gemm(false, false, rows, inF, outF, 1, dy, w.data, fresh ? 0 : 1, fresh ? freshGrad(x) : x.grad!);
    }
    if (w.requiresGrad) kernels.gemm(true, false, outF, inF, rows, 1, dy, xd, 1, gradOf(w));
    if (bias?.requiresGrad) sumRowsInto(gradOf(bias), dy, rows, outF);
    const dh = uninitialized(rows * r);
    kernels.gemm(false, false, rows, r, outF, scale, dy, bd, 0, dh); // dh = s·dy·B
    if (b.requiresGrad) kernels.gemm(true, false, outF, r, rows, scale, dy, h, 1, gradOf(b)); // dB += s·dyᵀ·h
    if (a.requiresGrad) kernels.gemm(true, false, r, inF, rows, 1, dh, xl, 1, gradOf(a)); // dA += dhᵀ·x'
    if (xLora.requiresGrad) kernels.gemm(false, false, rows, inF, r, 1, dh, ad, 1, gradOf(xLora)); // dx' += dh·A
    const pool = activeBufferPool(); // h and dh die with this closure
    pool?.release(dh);
    pool?.release(h);
  });
}
