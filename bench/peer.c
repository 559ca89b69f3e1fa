// The benchmark's peers: the system OpenBLAS (sgemm, and sgemv for reference) and a DRAM
// read-bandwidth loop. bench/kernels.ts compiles this at run time into bench/.peer/ with
//   cc -O2 -DSEAL_PEER_OPENBLAS peer.c -lopenblas -lpthread     (or without OpenBLAS: DRAM only)
// and runs it once per measurement, with OPENBLAS_NUM_THREADS set to the row's thread count.
//
//   peer info                                  → "corename <name>" ("corename none" without OpenBLAS)
//   peer gemm TA TB M N K REPS                 → "gflops <best of REPS>"
//   peer dram MIB THREADS REPS                 → "gbps <best of REPS>" (AVX2 sum over a MIB buffer)
//   peer dram-serve MIB THREADS                → allocates and touches once, then for every line read
//                                                on stdin times one pass: "gbps <that pass>"
//                                                (lets the bench interleave single passes with its own)
//
// All output is one line on stdout; errors go to stderr with a non-zero exit.
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#ifdef SEAL_PEER_OPENBLAS
// Declared here rather than via <cblas.h>, whose location varies between distributions.
enum { CblasRowMajor = 101 };
enum { CblasNoTrans = 111, CblasTrans = 112 };
void cblas_sgemm(int order, int transa, int transb, int m, int n, int k, float alpha, const float* a,
                 int lda, const float* b, int ldb, float beta, float* c, int ldc);
char* openblas_get_corename(void);
int openblas_get_num_threads(void);
#endif

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void* xalloc(size_t bytes) {
  void* p = NULL;
  if (posix_memalign(&p, 64, bytes ? bytes : 64)) {
    fprintf(stderr, "peer: out of memory (%zu bytes)\n", bytes);
    exit(2);
  }
  return p;
}

static void fill(float* x, size_t n, uint32_t seed) {
  for (size_t i = 0; i < n; i++) {
    seed = seed * 1664525u + 1013904223u;
    x[i] = (float)((seed >> 9) & 0xffff) / 65536.0f - 0.5f;
  }
}

#ifdef SEAL_PEER_OPENBLAS
static int run_gemm(int argc, char** argv) {
  if (argc < 8) return fprintf(stderr, "usage: peer gemm TA TB M N K REPS\n"), 2;
  int ta = atoi(argv[2]), tb = atoi(argv[3]);
  int m = atoi(argv[4]), n = atoi(argv[5]), k = atoi(argv[6]), reps = atoi(argv[7]);
  float* a = xalloc((size_t)m * k * 4);
  float* b = xalloc((size_t)k * n * 4);
  float* c = xalloc((size_t)m * n * 4);
  fill(a, (size_t)m * k, 1);
  fill(b, (size_t)k * n, 2);
  memset(c, 0, (size_t)m * n * 4);
  int lda = ta ? m : k, ldb = tb ? k : n;
  double flops = 2.0 * m * n * k, best = 0;
  // Warm-up (thread start, page faults), then best of REPS; each rep at least ~20 ms of calls.
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, 1.0f,
              a, lda, b, ldb, 0.0f, c, n);
  for (int r = 0; r < reps; r++) {
    int calls = 0;
    double t0 = now(), t;
    do {
      cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k,
                  1.0f, a, lda, b, ldb, 0.0f, c, n);
      calls++;
      t = now() - t0;
    } while (t < 0.02);
    double g = flops * calls / t / 1e9;
    if (g > best) best = g;
  }
  printf("gflops %.3f threads %d\n", best, openblas_get_num_threads());
  free(a), free(b), free(c);
  return 0;
}
#endif

// ---- DRAM read bandwidth: every thread sums its slice of one big buffer with AVX2 ------------
struct slice {
  const float* p;
  size_t n;
  double sum;
};

#if defined(__x86_64__)
__attribute__((target("avx2"))) static double sum_avx2(const float* p, size_t n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    s0 = _mm256_add_ps(s0, _mm256_load_ps(p + i));
    s1 = _mm256_add_ps(s1, _mm256_load_ps(p + i + 8));
    s2 = _mm256_add_ps(s2, _mm256_load_ps(p + i + 16));
    s3 = _mm256_add_ps(s3, _mm256_load_ps(p + i + 24));
    s4 = _mm256_add_ps(s4, _mm256_load_ps(p + i + 32));
    s5 = _mm256_add_ps(s5, _mm256_load_ps(p + i + 40));
    s6 = _mm256_add_ps(s6, _mm256_load_ps(p + i + 48));
    s7 = _mm256_add_ps(s7, _mm256_load_ps(p + i + 56));
  }
  s0 = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)),
                     _mm256_add_ps(_mm256_add_ps(s4, s5), _mm256_add_ps(s6, s7)));
  float lanes[8];
  _mm256_storeu_ps(lanes, s0);
  double s = 0;
  for (int j = 0; j < 8; j++) s += lanes[j];
  for (; i < n; i++) s += p[i];
  return s;
}
#endif

static double sum_plain(const float* p, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; i++) s += p[i];
  return s;
}

static int have_avx2;

static void* sum_thread(void* arg) {
  struct slice* s = arg;
#if defined(__x86_64__)
  s->sum = have_avx2 ? sum_avx2(s->p, s->n) : sum_plain(s->p, s->n);
#else
  s->sum = sum_plain(s->p, s->n);
#endif
  return NULL;
}

static void* touch_thread(void* arg) {
  struct slice* s = arg;
  fill((float*)s->p, s->n, 7);
  return NULL;
}

static void run_threads(struct slice* sl, int threads, void* (*fn)(void*)) {
  pthread_t tid[64];
  for (int t = 1; t < threads; t++) pthread_create(&tid[t], NULL, fn, &sl[t]);
  fn(&sl[0]);
  for (int t = 1; t < threads; t++) pthread_join(tid[t], NULL);
}

// A buffer of MIB MiB split into one slice per thread, each first touched by the thread that
// reads it; *n is its length in floats.
static float* dram_buffer(size_t mib, int threads, struct slice* sl, size_t* n) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  have_avx2 = __builtin_cpu_supports("avx2");
#endif
  *n = mib << 18;
  float* buf = xalloc(*n * 4);
  size_t per = (*n / threads) & ~(size_t)63;
  for (int t = 0; t < threads; t++) {
    sl[t].p = buf + per * t;
    sl[t].n = t == threads - 1 ? *n - per * t : per;
  }
  run_threads(sl, threads, touch_thread);
  return buf;
}

static int run_dram(int argc, char** argv) {
  if (argc < 5) return fprintf(stderr, "usage: peer dram MIB THREADS REPS\n"), 2;
  size_t mib = (size_t)atol(argv[2]);
  int threads = atoi(argv[3]), reps = atoi(argv[4]);
  if (threads < 1 || threads > 64) return fprintf(stderr, "peer: threads must be in [1, 64]\n"), 2;
  struct slice sl[64];
  size_t n;
  float* buf = dram_buffer(mib, threads, sl, &n);
  double best = 0, check = 0;
  for (int r = 0; r < reps + 1; r++) {
    double t0 = now();
    run_threads(sl, threads, sum_thread);
    double t = now() - t0;
    for (int i = 0; i < threads; i++) check += sl[i].sum;
    double gbps = n * 4.0 / t / 1e9;
    if (r > 0 && gbps > best) best = gbps;  // rep 0 is a warm-up
  }
  printf("gbps %.3f check %g\n", best, check);
  free(buf);
  return 0;
}

// One buffer, touched once; a pass per stdin line, so the caller can interleave short samples of
// the DRAM loop with its own at a fine grain (a noisy neighbour then slows both alike).
static int run_dram_serve(int argc, char** argv) {
  if (argc < 4) return fprintf(stderr, "usage: peer dram-serve MIB THREADS\n"), 2;
  size_t mib = (size_t)atol(argv[2]);
  int threads = atoi(argv[3]);
  if (threads < 1 || threads > 64) return fprintf(stderr, "peer: threads must be in [1, 64]\n"), 2;
  struct slice sl[64];
  size_t n;
  float* buf = dram_buffer(mib, threads, sl, &n);
  run_threads(sl, threads, sum_thread);  // warm-up
  printf("ready\n");
  fflush(stdout);
  char line[64];
  double check = 0;
  while (fgets(line, sizeof line, stdin)) {
    double t0 = now();
    run_threads(sl, threads, sum_thread);
    double t = now() - t0;
    for (int i = 0; i < threads; i++) check += sl[i].sum;
    printf("gbps %.3f check %g\n", n * 4.0 / t / 1e9, check);
    fflush(stdout);
  }
  free(buf);
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 2) return fprintf(stderr, "usage: peer info|gemm|dram ...\n"), 2;
  if (!strcmp(argv[1], "info")) {
#ifdef SEAL_PEER_OPENBLAS
    printf("corename %s\n", openblas_get_corename());
#else
    printf("corename none\n");
#endif
    return 0;
  }
  if (!strcmp(argv[1], "gemm")) {
#ifdef SEAL_PEER_OPENBLAS
    return run_gemm(argc, argv);
#else
    fprintf(stderr, "peer: built without OpenBLAS\n");
    return 3;
#endif
  }
  if (!strcmp(argv[1], "dram")) return run_dram(argc, argv);
  if (!strcmp(argv[1], "dram-serve")) return run_dram_serve(argc, argv);
  fprintf(stderr, "peer: unknown command %s\n", argv[1]);
  return 2;
}
