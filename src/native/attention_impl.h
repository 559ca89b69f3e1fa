// Attention kernels, written once over a small vector-traits type and compiled once per dispatch
// path. attention.cpp includes this file (no include guard, on purpose) inside
// namespace seal::attn::<path>, after defining:
//   SEAL_TGT  the function target attribute of the path (empty for scalar),
//   V         the vector traits: R (register), M (tail mask), W (lanes), RMAX/NVMAX (microkernel
//             block: RMAX rows × NVMAX vectors of accumulators), and the ops used below.
//
// Everything reduces to one register-blocked microkernel, C (+)= A·B where A is read by
// broadcasting single elements (any row/column strides) and B row by row as vectors; the tail of
// a row of B is masked, so no kernel reads a float past an argument's end.

// ---------------------------------------------------------------------------------------------
// Microkernel: C[m·ldc + n] (+)= Σ_k A[m·sam + k·sak] · B[k·ldb + n], m < R, n < NV·W (the last
// vector masked by tm when TAIL).
template <int R, int NV, bool TAIL>
SEAL_TGT static inline void mk(int K, const float* A, long sam, long sak, const float* B, long ldb,
                               float* C, long ldc, bool acc, typename V::M tm) {
  typename V::R c[R][NV];
  for (int r = 0; r < R; ++r)
    for (int j = 0; j < NV; ++j) {
      if (!acc) c[r][j] = V::zero();
      else if (TAIL && j == NV - 1) c[r][j] = V::loadm(C + r * ldc + j * V::W, tm);
      else c[r][j] = V::load(C + r * ldc + j * V::W);
    }
  const float* a[R];
  for (int r = 0; r < R; ++r) a[r] = A + r * sam;
  for (int kk = 0; kk < K; ++kk) {
    const float* bk = B + kk * ldb;
    typename V::R b[NV];
    for (int j = 0; j < NV; ++j) b[j] = (TAIL && j == NV - 1) ? V::loadm(bk + j * V::W, tm) : V::load(bk + j * V::W);
    const long ak = kk * sak;
    for (int r = 0; r < R; ++r) {
      typename V::R ar = V::set1(a[r][ak]);
      for (int j = 0; j < NV; ++j) c[r][j] = V::fma(ar, b[j], c[r][j]);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int j = 0; j < NV; ++j) {
      if (TAIL && j == NV - 1) V::storem(C + r * ldc + j * V::W, c[r][j], tm);
      else V::store(C + r * ldc + j * V::W, c[r][j]);
    }
}

template <int NV, bool TAIL>
SEAL_TGT static void mk_rows(int M, int K, const float* A, long sam, long sak, const float* B, long ldb,
                             float* C, long ldc, bool acc, typename V::M tm) {
  int m = 0;
  for (; m + V::RMAX <= M; m += V::RMAX)
    mk<V::RMAX, NV, TAIL>(K, A + m * sam, sam, sak, B, ldb, C + m * ldc, ldc, acc, tm);
  static_assert(V::RMAX == 4, "row tails below assume RMAX == 4");
  switch (M - m) {
    case 3: mk<3, NV, TAIL>(K, A + m * sam, sam, sak, B, ldb, C + m * ldc, ldc, acc, tm); break;
    case 2: mk<2, NV, TAIL>(K, A + m * sam, sam, sak, B, ldb, C + m * ldc, ldc, acc, tm); break;
    case 1: mk<1, NV, TAIL>(K, A + m * sam, sam, sak, B, ldb, C + m * ldc, ldc, acc, tm); break;
    default: break;
  }
}

template <int NV>
SEAL_TGT static inline void mk_tail(bool tail, int M, int K, const float* A, long sam, long sak,
                                    const float* B, long ldb, float* C, long ldc, bool acc, typename V::M tm) {
  if (tail) mk_rows<NV, true>(M, K, A, sam, sak, B, ldb, C, ldc, acc, tm);
  else mk_rows<NV, false>(M, K, A, sam, sak, B, ldb, C, ldc, acc, tm);
}

// C[M×N] (+)= A[M×K]·B[K×N], A(m,k) = A[m·sam + k·sak], B(k,n) = B[k·ldb + n], C(m,n) = C[m·ldc + n].
SEAL_TGT static void gemm_bc(int M, int N, int K, const float* A, long sam, long sak, const float* B, long ldb,
                             float* C, long ldc, bool acc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    if (!acc)
      for (int m = 0; m < M; ++m)
        for (int n = 0; n < N; ++n) C[m * ldc + n] = 0.f;
    return;
  }
  constexpr int CW = V::NVMAX * V::W;
  int n = 0;
  for (; n + CW <= N; n += CW)
    mk_rows<V::NVMAX, false>(M, K, A, sam, sak, B + n, ldb, C + n, ldc, acc, V::mask(V::W));
  if (n < N) {
    int rem = N - n;
    int nv = (rem + V::W - 1) / V::W;
    int last = rem - (nv - 1) * V::W;
    bool tail = last != V::W;
    typename V::M tm = V::mask(last);
    const float* b = B + n;
    float* c = C + n;
    switch (nv) {
      case 1: mk_tail<1>(tail, M, K, A, sam, sak, b, ldb, c, ldc, acc, tm); break;
      case 2: if constexpr (V::NVMAX >= 2) { mk_tail<2>(tail, M, K, A, sam, sak, b, ldb, c, ldc, acc, tm); } break;
      case 3: if constexpr (V::NVMAX >= 3) { mk_tail<3>(tail, M, K, A, sam, sak, b, ldb, c, ldc, acc, tm); } break;
      case 4: if constexpr (V::NVMAX >= 4) { mk_tail<4>(tail, M, K, A, sam, sak, b, ldb, c, ldc, acc, tm); } break;
      default: break;
    }
  }
}

// y[0..n) *= s (n a multiple of W, or the array padded to one).
SEAL_TGT static inline void scale_row(float* y, long n, float s) {
  typename V::R sv = V::set1(s);
  for (long i = 0; i < n; i += V::W) V::store(y + i, V::mul(V::load(y + i), sv));
}

// Σ x[i]·y[i] over n floats (masked tail: reads nothing past n).
SEAL_TGT static inline float dot_row(const float* x, const float* y, int n) {
  typename V::R acc = V::zero();
  int i = 0;
  for (; i + V::W <= n; i += V::W) acc = V::fma(V::load(x + i), V::load(y + i), acc);
  if (i < n) {
    typename V::M tm = V::mask(n - i);
    acc = V::fma(V::loadm(x + i, tm), V::loadm(y + i, tm), acc);
  }
  return V::hsum(acc);
}

// dst[d·ldd + j] = src[j·lds + d] for j < n, d < D. (Plain loops: on the machine this was tuned
// on, gathers were slower, and the transposes are a small share of the work.)
SEAL_TGT static void transpose_rows(const float* src, long lds, int n, int D, float* dst, long ldd) {
  for (int j = 0; j < n; ++j) {
    const float* s = src + j * lds;
    for (int d = 0; d < D; ++d) dst[d * ldd + j] = s[d];
  }
}

// ---------------------------------------------------------------------------------------------
// Decode: one tile of nc cached keys for the nr query heads of a group (online softmax, one row
// per head; every key is visible).
//   Q rows (stride D); KT: the tile's keys transposed, KT[d·BC + j]; Vt: value rows (stride D);
//   S: scratch [nr][BC]; O: accumulators [nr][ldo] (ldo a multiple of 16); m, l: running max, sum.
SEAL_TGT static void dec_tile(int nr, int D, float scale, const float* Q, const float* KT, int nc, const float* Vt,
                              float* S, float* O, long ldo, float* m, float* l) {
  gemm_bc(nr, nc, D, Q, D, 1, KT, BC, S, BC, false);
  const int kv = (int)round_up(nc, V::W);
  const float NEG = -INFINITY;
  const typename V::R sv = V::set1(scale);
  for (int r = 0; r < nr; ++r) {
    float* s = S + (long)r * BC;
    for (int j = 0; j < kv; j += V::W) V::store(s + j, V::mul(V::load(s + j), sv));
    for (int j = nc; j < kv; ++j) s[j] = NEG;
    typename V::R mx = V::set1(NEG);
    for (int j = 0; j < kv; j += V::W) mx = V::max(mx, V::load(s + j));
    float mnew = V::hmax(mx);
    if (m[r] > mnew) mnew = m[r];
    typename V::R mv = V::set1(mnew), sum = V::zero();
    for (int j = 0; j < kv; j += V::W) {
      typename V::R p = V::exp(V::sub(V::load(s + j), mv));
      V::store(s + j, p);
      sum = V::add(sum, p);
    }
    float alpha = std::exp(m[r] - mnew);  // m = -inf at first: alpha = 0 (O and l are 0 anyway)
    l[r] = l[r] * alpha + V::hsum(sum);
    m[r] = mnew;
    if (alpha != 1.f) scale_row(O + (long)r * ldo, ldo, alpha);
  }
  gemm_bc(nr, D, nc, S, BC, 1, Vt, D, O, ldo, true);
}

// Forward for the training pass. A task owns BR query rows of one (b, q-head) and walks the key
// tiles they can see. Scores are computed key-major, Sᵀ[j][i] = K[j]·Q[i], so the online-softmax
// statistics of the BR queries (running max m, sum l, rescale alpha) live along vector lanes:
// no horizontal reductions and no scalar exp per row. Oᵀ[d][i] accumulates Σ_j V[j][d]·P[j][i].
SEAL_TGT static void fwd_task(const FwdArgs& a, int task, int thread) {
  const int T = a.T, D = a.D, Hq = a.Hq, Hkv = a.Hkv, G = Hq / Hkv;
  const int nt = (T + BR - 1) / BR;
  const int bh = task % (a.B * Hq);
  const int it = nt - 1 - task / (a.B * Hq);  // the longest rows first
  const int b = bh / Hq, h = bh % Hq, g = h / G;
  const int i0 = it * BR, ni = T - i0 < BR ? T - i0 : BR;
  const int nv = (int)round_up(ni, V::W);
  const long qs = (long)Hq * D;
  float* scratch = a.thread_scratch + (long)thread * a.thread_floats;
  float* QT = scratch;           // [D][BR]
  float* OT = QT + (long)D * BR; // [D][BR]
  float* St = OT + (long)D * BR; // [BC][BR]
  float* m = St + (long)BC * BR; // [BR] each below
  float* l = m + BR;
  float* alpha = l + BR;
  float* loF = alpha + BR;
  float* hiF = loF + BR;
  int loA[BR];

  const float* q0 = a.q + (((long)b * T + i0) * Hq + h) * D;
  transpose_rows(q0, qs, ni, D, QT, BR);
  for (int d = 0; d < D; ++d)
    for (int i = ni; i < BR; ++i) QT[d * BR + i] = 0.f;
  for (long x = 0; x < (long)D * BR; ++x) OT[x] = 0.f;
  int jmin = i0, smax = 0;
  for (int i = 0; i < BR; ++i) {
    m[i] = -FLT_MAX;  // not -inf: exp(s - m) and exp(m_old - m) stay 0 (never NaN) before any key
    l[i] = 0.f;
    loA[i] = i < ni ? (a.seg ? a.seg[(long)b * T + i0 + i] : 0) : T;
    if (i < ni && loA[i] < jmin) jmin = loA[i];
    if (i < ni && loA[i] > smax) smax = loA[i];
  }
  const typename V::R sv = V::set1(a.scale), ninf = V::set1(-INFINITY);
  for (int j0 = jmin / BC * BC; j0 <= i0 + ni - 1; j0 += BC) {
    const int nk = T - j0 < BC ? T - j0 : BC;
    const float* Kp = a.kp + (((long)b * Hkv + g) * T + j0) * D;
    const float* Vp = a.vp + (((long)b * Hkv + g) * T + j0) * D;
    const bool full = j0 + nk - 1 <= i0 && smax <= j0;
    if (!full) {
      // Tile-local key bounds per query, clamped to small exact floats.
      for (int i = 0; i < BR; ++i) {
        int lo = loA[i] - j0, hi = i0 + i - j0;
        loF[i] = (float)(lo < -1 ? -1 : lo > BC + 1 ? BC + 1 : lo);
        hiF[i] = (float)(hi < -1 ? -1 : hi > BC + 1 ? BC + 1 : hi);
      }
    }
    const bool diag = j0 == i0;  // (BR == BC) the tile on the diagonal: key j only meets queries i >= j
    if (diag) {
      // Strips of 16 keys skip the columns left of their first key (masked to -inf below anyway).
      for (int r0 = 0; r0 < nk; r0 += 16)
        gemm_bc(nk - r0 < 16 ? nk - r0 : 16, ni - r0, D, Kp + (long)r0 * D, D, 1, QT + r0, BR, St + (long)r0 * BR + r0,
                BR, false);
    } else {
      gemm_bc(nk, ni, D, Kp, D, 1, QT, BR, St, BR, false);
    }
    for (int c = 0; c < nv; c += V::W) {
      typename V::R mold = V::load(m + c), mx = mold;
      typename V::R lo = V::load(loF + c), hi = V::load(hiF + c);
      for (int j = 0; j < nk; ++j) {
        float* s = St + j * BR + c;
        typename V::R x = V::mul(V::load(s), sv);
        if (!full) x = V::keep(x, V::set1((float)j), lo, hi, ninf);
        V::store(s, x);
        mx = V::max(mx, x);
      }
      typename V::R sum = V::zero();
      for (int j = 0; j < nk; ++j) {
        float* s = St + j * BR + c;
        typename V::R p = V::exp(V::sub(V::load(s), mx));
        V::store(s, p);
        sum = V::add(sum, p);
      }
      typename V::R al = V::exp(V::sub(mold, mx));
      V::store(alpha + c, al);
      V::store(l + c, V::fma(V::load(l + c), al, sum));
      V::store(m + c, mx);
    }
    for (int d = 0; d < D; ++d) {
      float* o = OT + d * BR;
      for (int c = 0; c < nv; c += V::W) V::store(o + c, V::mul(V::load(o + c), V::load(alpha + c)));
    }
    if (diag && ni > 32) {
      // Queries 0..31 only see keys 0..31 of this tile.
      gemm_bc(D, 32, 32, Vp, 1, D, St, BR, OT, BR, true);
      gemm_bc(D, ni - 32, nk, Vp, 1, D, St + 32, BR, OT + 32, BR, true);
    } else {
      gemm_bc(D, ni, nk, Vp, 1, D, St, BR, OT, BR, true);
    }
  }
  for (int i = 0; i < ni; ++i) {
    const float inv = 1.f / l[i];
    float* o = a.out + (((long)b * T + i0 + i) * Hq + h) * D;
    for (int d = 0; d < D; ++d) o[d] = OT[d * BR + i] * inv;
    a.lse[((long)b * Hq + h) * T + i0 + i] = m[i] + std::log(l[i]);
  }
}

// ---------------------------------------------------------------------------------------------
// Backward. A task owns one (b, q-head h): dq rows of that head are its own, and its dk/dv
// contributions go to a per-head partial (or straight to dk/dv when Hq == Hkv), so no two tasks
// ever write the same float. Keys are walked in tiles of BKB (dK, dV accumulate in scratch), and
// for each, the query tiles of BQB that can see them. Everything is computed key-major
// (Sᵀ[j][i]) so the per-query lse and D_i broadcast along vectors.
SEAL_TGT static void bwd_task(const BwdArgs& a, int task, int thread) {
  const int T = a.T, D = a.D, Hq = a.Hq, Hkv = a.Hkv, G = Hq / Hkv;
  const int b = task / Hq, h = task % Hq, g = h / G;
  const long Tq = a.Tp, Dp = round_up(D, 16), TB = (long)D * BQB;  // TB: one transposed query tile
  const long qs = (long)Hq * D;
  const int nqt = (int)(Tq / BQB);
  // Operands are packed contiguous first: rows of q/dout/k/v are Hq·D (or Hkv·D) floats apart
  // in the caller's layout, a stride that maps a whole tile onto a few cache sets.
  float* scratch = a.thread_scratch + (long)thread * a.thread_floats;
  float* Qp = scratch;            // [Tq][D]   q rows of head h
  float* dOp = Qp + Tq * D;       // [Tq][D]   dout rows
  float* QT = dOp + Tq * D;       // [nqt][D][BQB]  q transposed, tile by tile
  float* dOT = QT + Tq * D;       // [nqt][D][BQB]
  float* dQT = dOT + Tq * D;      // [nqt][D][BQB]  dq accumulator (transposed)
  float* lsep = dQT + Tq * D;     // [Tq]
  float* Dv = lsep + Tq;          // [Tq]      D_i = rowsum(dout ∘ out)
  float* P = Dv + Tq;             // [BKB][BQB]
  float* dS = P + BKB * BQB;      // [BKB][BQB]
  float* dKa = dS + BKB * BQB;    // [BKB][Dp]
  float* dVa = dKa + BKB * Dp;    // [BKB][Dp]
  float* loF = dVa + BKB * Dp;    // [BQB]
  float* hiF = loF + BQB;         // [BQB]

  const float* q0 = a.q + ((long)b * T * Hq + h) * D;
  const float* o0 = a.out + ((long)b * T * Hq + h) * D;
  const float* do0 = a.dout + ((long)b * T * Hq + h) * D;
  const float* k0 = a.kp + ((long)b * Hkv + g) * T * D;  // packed [T][D]
  const float* v0 = a.vp + ((long)b * Hkv + g) * T * D;
  const float* lse0 = a.lse + ((long)b * Hq + h) * T;
  const int32_t* seg = a.seg ? a.seg + (long)b * T : nullptr;

  for (long t = 0; t < Tq; ++t) {
    float* qp = Qp + t * D;
    float* dp = dOp + t * D;
    if (t < T) {
      const float* qr = q0 + t * qs;
      const float* dr = do0 + t * qs;
      for (int d = 0; d < D; ++d) {
        qp[d] = qr[d];
        dp[d] = dr[d];
      }
      lsep[t] = lse0[t];
      Dv[t] = dot_row(dr, o0 + t * qs, D);
    } else {
      for (int d = 0; d < D; ++d) qp[d] = dp[d] = 0.f;
      lsep[t] = INFINITY;
      Dv[t] = 0.f;
    }
  }
  for (int it = 0; it < nqt; ++it) {
    const int i0 = it * BQB, ni = T - i0 < BQB ? T - i0 : BQB;
    transpose_rows(Qp + (long)i0 * D, D, ni, D, QT + it * TB, BQB);
    transpose_rows(dOp + (long)i0 * D, D, ni, D, dOT + it * TB, BQB);
    for (int d = 0; d < D; ++d)
      for (int i = ni; i < BQB; ++i) QT[it * TB + d * BQB + i] = dOT[it * TB + d * BQB + i] = 0.f;
  }
  for (long i = 0; i < Tq * D; ++i) dQT[i] = 0.f;

  const typename V::R sv = V::set1(a.scale), zero = V::zero();
  for (int j0 = 0; j0 < T; j0 += BKB) {
    const int nk = T - j0 < BKB ? T - j0 : BKB, jl = j0 + nk - 1;
    for (long i = 0; i < nk * Dp; ++i) dKa[i] = dVa[i] = 0.f;
    const float* Kp = k0 + (long)j0 * D;
    const float* Vp = v0 + (long)j0 * D;
    for (int it = j0 / BQB; it < nqt; ++it) {
      const int i0 = it * BQB, ni = T - i0 < BQB ? T - i0 : BQB;
      if (i0 + ni - 1 < j0) continue;
      int smax = 0;
      if (seg) {
        int smin = seg[i0];
        for (int r = 0; r < ni; ++r) {
          if (seg[i0 + r] < smin) smin = seg[i0 + r];
          if (seg[i0 + r] > smax) smax = seg[i0 + r];
        }
        if (smin > jl) continue;  // no query of this tile reaches back to these keys
      }
      const bool full = jl <= i0 && smax <= j0;
      const int nv = (int)round_up(ni, V::W);
      if (!full) {
        // Tile-local bounds per query (seg[i] <= j <= i), clamped to small exact floats.
        for (int c = 0; c < nv; ++c) {
          int lo = (seg && c < ni ? seg[i0 + c] : 0) - j0, hi = i0 + c - j0;
          loF[c] = (float)(lo < -1 ? -1 : lo > BKB + 1 ? BKB + 1 : lo);
          hiF[c] = (float)(hi < -1 ? -1 : hi > BKB + 1 ? BKB + 1 : hi);
        }
      }
      const float* qt = QT + it * TB;
      const float* dt = dOT + it * TB;
      // Sᵀ = K·Qᵀ, dPᵀ = V·dOᵀ. On the diagonal tile (BKB == BQB) key j only meets queries
      // i >= j: strips of 16 keys skip the columns left of their first key (masked below).
      const bool diag = j0 == i0;
      for (int r0 = 0; r0 < nk; r0 += diag ? 16 : nk) {
        const int nr = diag ? (nk - r0 < 16 ? nk - r0 : 16) : nk, c0 = diag ? r0 : 0;
        gemm_bc(nr, ni - c0, D, Kp + (long)r0 * D, D, 1, qt + c0, BQB, P + (long)r0 * BQB + c0, BQB, false);
        gemm_bc(nr, ni - c0, D, Vp + (long)r0 * D, D, 1, dt + c0, BQB, dS + (long)r0 * BQB + c0, BQB, false);
      }
      // P = exp(S·scale − lse), dS = P ∘ (dP − D_i)
      for (int j = 0; j < nk; ++j) {
        float* p = P + j * BQB;
        float* ds = dS + j * BQB;
        const typename V::R jv = V::set1((float)j);
        for (int c = 0; c < nv; c += V::W) {
          typename V::R pv = V::exp(V::fms(V::load(p + c), sv, V::load(lsep + i0 + c)));
          typename V::R dsv = V::mul(pv, V::sub(V::load(ds + c), V::load(Dv + i0 + c)));
          if (!full) {
            // Masked entries are exactly 0 (their scores may be stale scratch on the diagonal).
            const typename V::R lo = V::load(loF + c), hi = V::load(hiF + c);
            pv = V::keep(pv, jv, lo, hi, zero);
            dsv = V::keep(dsv, jv, lo, hi, zero);
          }
          V::store(p + c, pv);
          V::store(ds + c, dsv);
        }
      }
      // dV += Pᵀ·dO, dK += dSᵀ·Q, dQᵀ += Kᵀ·dSᵀ
      for (int r0 = 0; r0 < nk; r0 += diag ? 16 : nk) {
        const int nr = diag ? (nk - r0 < 16 ? nk - r0 : 16) : nk, c0 = diag ? r0 : 0;
        gemm_bc(nr, D, ni - c0, P + (long)r0 * BQB + c0, BQB, 1, dOp + (long)(i0 + c0) * D, D, dVa + r0 * Dp, Dp, true);
        gemm_bc(nr, D, ni - c0, dS + (long)r0 * BQB + c0, BQB, 1, Qp + (long)(i0 + c0) * D, D, dKa + r0 * Dp, Dp, true);
      }
      if (diag && ni > 32) {
        // Queries 0..31 only see keys 0..31 of this tile.
        gemm_bc(D, 32, 32, Kp, 1, D, dS, BQB, dQT + it * TB, BQB, true);
        gemm_bc(D, ni - 32, nk, Kp, 1, D, dS + 32, BQB, dQT + it * TB + 32, BQB, true);
      } else {
        gemm_bc(D, ni, nk, Kp, 1, D, dS, BQB, dQT + it * TB, BQB, true);
      }
    }
    // This key tile's dK (scaled) and dV for head h.
    for (int j = 0; j < nk; ++j) {
      float *dkr, *dvr;
      if (a.dkh) {
        dkr = a.dkh + (((long)b * Hq + h) * T + j0 + j) * D;
        dvr = a.dvh + (((long)b * Hq + h) * T + j0 + j) * D;
      } else {
        dkr = a.dk + (((long)b * T + j0 + j) * Hkv + g) * D;
        dvr = a.dv + (((long)b * T + j0 + j) * Hkv + g) * D;
      }
      for (int d = 0; d < D; ++d) {
        dkr[d] = dKa[j * Dp + d] * a.scale;
        dvr[d] = dVa[j * Dp + d];
      }
    }
  }
  for (int t = 0; t < T; ++t) {
    float* dqr = a.dq + (((long)b * T + t) * Hq + h) * D;
    const float* src = dQT + (t / BQB) * TB + t % BQB;
    for (int d = 0; d < D; ++d) dqr[d] = src[d * BQB] * a.scale;
  }
}

// dk[b, j, g, :] = Σ over the q-heads h of group g of dkh[b, h, j, :] (same for dv).
SEAL_TGT static void bwd_reduce(const BwdArgs& a, int task) {
  const int T = a.T, D = a.D, Hq = a.Hq, Hkv = a.Hkv, G = Hq / Hkv;
  const int nj = (T + BKB - 1) / BKB;
  const int bg = task / nj, jt = task % nj;
  const int b = bg / Hkv, g = bg % Hkv;
  const int j0 = jt * BKB, j1 = j0 + BKB < T ? j0 + BKB : T;
  for (int j = j0; j < j1; ++j) {
    float* dkr = a.dk + (((long)b * T + j) * Hkv + g) * D;
    float* dvr = a.dv + (((long)b * T + j) * Hkv + g) * D;
    for (int d = 0; d < D; ++d) dkr[d] = dvr[d] = 0.f;
    for (int x = 0; x < G; ++x) {
      const long off = (((long)b * Hq + g * G + x) * T + j) * D;
      const float* sk = a.dkh + off;
      const float* svv = a.dvh + off;
      for (int d = 0; d < D; ++d) {
        dkr[d] += sk[d];
        dvr[d] += svv[d];
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Decode: a task owns one (b, kv head g, key chunk) and all G query heads of the group, so each
// cache row is read once for the whole group.
SEAL_TGT static void dec_task(const DecArgs& a, int task, int thread) {
  const int D = a.D, Hq = a.Hq, Hkv = a.Hkv, G = Hq / Hkv;
  const int c = task % a.chunks, bg = task / a.chunks;
  const int b = bg / Hkv, g = bg % Hkv;
  const long Dp = round_up(D, 16);
  const int len = a.lens[b];
  float* scratch = a.thread_scratch + (long)thread * a.thread_floats;
  float* KT = scratch;              // [D][BC]
  float* S = KT + (long)D * BC;     // [G][BC]
  float* O = S + (long)G * BC;      // [G][Dp]
  float* m = O + (long)G * Dp;
  float* l = m + G;
  for (long i = 0; i < G * Dp; ++i) O[i] = 0.f;
  for (int r = 0; r < G; ++r) {
    m[r] = -INFINITY;
    l[r] = 0.f;
  }
  const float* Q = a.q + ((long)b * Hq + (long)g * G) * D;
  const float* kc = a.kc + (long)bg * a.maxT * D;
  const float* vc = a.vc + (long)bg * a.maxT * D;
  const int c0 = c * a.chunk_len, c1 = c0 + a.chunk_len < len ? c0 + a.chunk_len : len;
  for (int j0 = c0; j0 < c1; j0 += BC) {
    const int nc = c1 - j0 < BC ? c1 - j0 : BC;
    transpose_rows(kc + (long)j0 * D, D, nc, D, KT, BC);
    dec_tile(G, D, a.scale, Q, KT, nc, vc + (long)j0 * D, S, O, Dp, m, l);
  }
  if (a.chunks == 1) {
    for (int r = 0; r < G; ++r) {
      float inv = 1.f / l[r];
      float* o = a.out + ((long)b * Hq + (long)g * G + r) * D;
      for (int d = 0; d < D; ++d) o[d] = O[r * Dp + d] * inv;
    }
  } else {
    const long base = ((long)bg * a.chunks + c) * G;
    for (int r = 0; r < G; ++r) {
      a.pm[base + r] = m[r];
      a.pl[base + r] = l[r];
      float* po = a.po + (base + r) * Dp;
      for (int d = 0; d < D; ++d) po[d] = O[r * Dp + d];
    }
  }
}

// k, v [B,T,Hkv,D] → kp, vp [B,Hkv,T,D]: each kv head's rows contiguous, once per call, so tiles
// are read with unit stride (the caller's stride Hkv·D maps a tile onto a few cache sets).
SEAL_TGT static void pack_kv(const float* k, const float* v, float* kp, float* vp, int T, int Hkv, int D, int bg) {
  const int b = bg / Hkv, g = bg % Hkv;
  const long ks = (long)Hkv * D;
  const float* ks0 = k + ((long)b * T * Hkv + g) * D;
  const float* vs0 = v + ((long)b * T * Hkv + g) * D;
  float* kd = kp + (long)bg * T * D;
  float* vd = vp + (long)bg * T * D;
  for (long t = 0; t < T; ++t)
    for (int d = 0; d < D; ++d) {
      kd[t * D + d] = ks0[t * ks + d];
      vd[t * D + d] = vs0[t * ks + d];
    }
}

// ---------------------------------------------------------------------------------------------
// Entry points (not target-attributed themselves: the lambdas call the attributed task functions).
static void forward(const FwdArgs& a) {
  pool().parallel_for(a.B * a.Hkv, [&](int task, int) { pack_kv(a.k, a.v, a.kp, a.vp, a.T, a.Hkv, a.D, task); });
  const int nt = (a.T + BR - 1) / BR;
  pool().parallel_for(a.B * a.Hq * nt, [&](int task, int thread) { fwd_task(a, task, thread); });
}

static void backward(const BwdArgs& a) {
  pool().parallel_for(a.B * a.Hkv, [&](int task, int) { pack_kv(a.k, a.v, a.kp, a.vp, a.T, a.Hkv, a.D, task); });
  pool().parallel_for(a.B * a.Hq, [&](int task, int thread) { bwd_task(a, task, thread); });
  if (a.dkh) {
    const int nj = (a.T + BKB - 1) / BKB;
    pool().parallel_for(a.B * a.Hkv * nj, [&](int task, int) { bwd_reduce(a, task); });
  }
}

static void decode(const DecArgs& a) {
  pool().parallel_for(a.B * a.Hkv * a.chunks, [&](int task, int thread) { dec_task(a, task, thread); });
}
