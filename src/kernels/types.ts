// The kernel contract. Two implementations honour it: the native addon (C++, AVX-512 / AVX2 /
// scalar, own thread pool) and plain TypeScript (the test oracle and the fallback). Every array is
// row-major and contiguous, and must have exactly the length its shape implies (a shorter or
// longer array is a RangeError naming the argument, never a stray read). Outputs are overwritten
// unless a comment says "accumulates".

/** Weights are stored as fp32 (Float32Array) or as bf16 bit patterns (Uint16Array). */
export type Weights = Float32Array | Uint16Array;

export interface Kernels {
  /** 'native' or 'ts'. */
  readonly kind: 'native' | 'ts';

  /**
   * C[m×n] = alpha·op(A)·op(B) + beta·C, fp32 accumulation.
   * op(A) is m×k: A is stored m×k, or k×m when transA.
   * op(B) is k×n: B is stored k×n, or n×k when transB; B may be bf16.
   * beta = 0 ignores C's old contents (NaN included).
   * Linear forward y = x·Wᵀ is gemm(false, true, T, out, in, 1, x, W, 0, y);
   * its backward dx = dy·W is gemm(false, false, ...), dW += dyᵀ·x is gemm(true, false, ..., beta 1).
   */
  gemm(
    transA: boolean, transB: boolean, m: number, n: number, k: number,
    alpha: number, a: Float32Array, b: Weights, beta: number, c: Float32Array,
  ): void;

  /** y[rows] = W[rows×cols]·x[cols] + beta·y (decode's matrix-vector product; W may be bf16). */
  gemv(rows: number, cols: number, w: Weights, x: Float32Array, beta: number, y: Float32Array): void;

  /**
   * Causal grouped-query attention, training forward.
   * q: [B,T,Hq,D]; k, v: [B,T,Hkv,D] (Hq a multiple of Hkv; query head h reads kv head
   * floor(h / (Hq/Hkv)), as HF's repeat_kv); out: [B,T,Hq,D]; lse: [B,Hq,T], the natural-log
   * log-sum-exp of each query's scaled scores, kept for backward.
   * segStart: null, or Int32Array [B·T]: query t of sequence b sees keys j with
   * segStart[b·T+t] <= j <= t (packed documents); null means every j <= t.
   * Never materialises more than a tile of the T×T score matrix.
   */
  attentionForward(
    B: number, T: number, Hq: number, Hkv: number, D: number, scale: number,
    q: Float32Array, k: Float32Array, v: Float32Array, segStart: Int32Array | null,
    out: Float32Array, lse: Float32Array,
  ): void;

  /** Backward of attentionForward. dq [B,T,Hq,D], dk and dv [B,T,Hkv,D] are overwritten. */
  attentionBackward(
    B: number, T: number, Hq: number, Hkv: number, D: number, scale: number,
    q: Float32Array, k: Float32Array, v: Float32Array, segStart: Int32Array | null,
    out: Float32Array, lse: Float32Array, dout: Float32Array,
    dq: Float32Array, dk: Float32Array, dv: Float32Array,
  ): void;

  /**
   * Decode attention against a KV cache: one query per sequence.
   * q: [B,Hq,D]; kCache, vCache: [B,Hkv,maxT,D]; lens: Int32Array [B], 1 <= lens[b] <= maxT:
   * sequence b attends to cache positions [0, lens[b]); out: [B,Hq,D].
   */
  attentionDecode(
    B: number, Hq: number, Hkv: number, D: number, maxT: number, scale: number,
    q: Float32Array, kCache: Float32Array, vCache: Float32Array, lens: Int32Array, out: Float32Array,
  ): void;

  /**
   * RMSNorm over rows of x [N×C]: rstd[i] = 1/sqrt(mean_j x[i,j]² + eps); y = (x·rstd)·w
   * (HF order: normalise, then scale by the weight). y must not alias x.
   */
  rmsnormForward(
    N: number, C: number, eps: number, x: Float32Array, w: Weights, y: Float32Array, rstd: Float32Array,
  ): void;

  /** dx [N×C] overwritten; dw [C] accumulates (pass null to skip: frozen weight). */
  rmsnormBackward(
    N: number, C: number, x: Float32Array, w: Weights, rstd: Float32Array, dy: Float32Array,
    dx: Float32Array, dw: Float32Array | null,
  ): void;

  /**
   * Rotary embedding in place on x: [N,H,D], HF rotate_half convention. For row n, head h and
   * i < D/2, with c = cos[positions[n]·(D/2) + i], s = sin[...]:
   *   x1 = x[i], x2 = x[i + D/2];  x[i] = x1·c − x2·s;  x[i + D/2] = x2·c + x1·s.
   * cos, sin: [maxPos × D/2] tables (built by the model: rope_theta, llama3 scaling). inverse
   * rotates by −angle (the backward pass: the rotation's transpose).
   */
  rope(
    N: number, H: number, D: number, x: Float32Array, positions: Int32Array,
    cos: Float32Array, sin: Float32Array, inverse: boolean,
  ): void;

  /** h = silu(g)·u elementwise over n values. */
  swigluForward(n: number, g: Float32Array, u: Float32Array, h: Float32Array): void;
  /** dg, du overwritten from dh. */
  swigluBackward(
    n: number, g: Float32Array, u: Float32Array, dh: Float32Array, dg: Float32Array, du: Float32Array,
  ): void;

  /**
   * Cross-entropy per row of logits [N×V] against targets Int32Array [N]; target −100 means
   * "no loss here" (loss 0; the per-token mask). losses[N] = lse − logit[target];
   * lse[N] = log Σ exp(logits) (kept for backward; written for every row).
   * A target outside [0, V) other than −100 is a RangeError.
   */
  crossEntropyForward(
    N: number, V: number, logits: Float32Array, targets: Int32Array, losses: Float32Array, lse: Float32Array,
  ): void;

  /**
   * dlogits[i,:] = dloss[i]·(softmax(logits[i,:]) − onehot(target[i])), zero rows for ignored
   * targets. dlogits may be the logits array itself (in place, saves a vocab-sized buffer).
   */
  crossEntropyBackward(
    N: number, V: number, logits: Float32Array, targets: Int32Array, lse: Float32Array,
    dloss: Float32Array, dlogits: Float32Array,
  ): void;

  /** out[i,:] = table[ids[i],:] (table [V×C], fp32 or bf16). An id outside [0, V) is a RangeError. */
  embeddingForward(
    N: number, C: number, V: number, table: Weights, ids: Int32Array, out: Float32Array,
  ): void;
  /** dtable[ids[i],:] += dout[i,:] (accumulates; repeated ids add up). */
  embeddingBackward(
    N: number, C: number, V: number, ids: Int32Array, dout: Float32Array, dtable: Float32Array,
  ): void;

  /**
   * One AdamW step in place, PyTorch's torch.optim.AdamW (non-fused, amsgrad off) to the letter:
   *   p ← p·(1 − lr·wd);  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;
   *   bc1 = 1 − β1^step;  bc2 = 1 − β2^step;
   *   p ← p − (lr/bc1) · m / (sqrt(v)/sqrt(bc2) + eps)
   * step counts from 1.
   */
  adamw(
    n: number, param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array,
    lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, step: number,
  ): void;

  /** out = a + b elementwise (fp32); out may be a or b (addGrad accumulates with out = a). */
  add(n: number, a: Float32Array, b: Float32Array, out: Float32Array): void;

  /** out = x · s elementwise (s rounded to fp32 first); out may be x. */
  scale(n: number, x: Float32Array, s: number, out: Float32Array): void;

  /** Threads used by the native pool (the TS kernels use 1). */
  threads(): number;
  setThreads(n: number): void;
}
