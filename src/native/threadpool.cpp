#include "threadpool.h"

#include <cstdlib>
#include <memory>

#if defined(__x86_64__)
#include <immintrin.h>
#define SEAL_PAUSE() _mm_pause()
#else
#define SEAL_PAUSE() ((void)0)
#endif

namespace seal {

// The job word: generation (32 bits) | task count (16) | next unclaimed task (16). A task is
// claimed by a compare-and-swap of the whole word, so the claim checks generation, count and index
// at once: a late worker can never claim a task of a job that is over or not yet set up.
static inline unsigned word_generation(uint64_t s) { return static_cast<unsigned>(s >> 32); }
static inline int word_tasks(uint64_t s) { return static_cast<int>((s >> 16) & 0xffff); }
static inline int word_next(uint64_t s) { return static_cast<int>(s & 0xffff); }

ThreadPool::ThreadPool(int threads) : threads_(threads < 1 ? 1 : threads) {
  // Workers start from the generation current now, not when they are first scheduled: a pool
  // destroyed before a worker ever ran must still wake it.
  const unsigned start = word_generation(state_.load());
  for (int t = 1; t < threads_; ++t) workers_.emplace_back([this, t, start] { worker_loop(t, start); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_.store(true);
    state_.store(uint64_t(word_generation(state_.load()) + 1) << 32);
  }
  wake_.notify_all();
  for (auto& w : workers_) w.join();
}

void ThreadPool::run_tasks(unsigned generation, int thread) {
  uint64_t s = state_.load(std::memory_order_acquire);
  for (;;) {
    if (word_generation(s) != generation) return;
    int task = word_next(s);
    if (task >= word_tasks(s)) return;
    if (!state_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
    // fn_ was set before the job word was published and stays until every claimed task is done.
    (*fn_)(task, thread);
    done_.fetch_add(1, std::memory_order_acq_rel);
    s = state_.load(std::memory_order_acquire);
  }
}

void ThreadPool::worker_loop(int thread, unsigned seen) {
  for (;;) {
    // Spin a while (back-to-back jobs wake instantly), then sleep on the condition variable.
    unsigned gen = seen;
    for (int spins = 0; spins < 50000; ++spins) {
      gen = word_generation(state_.load(std::memory_order_acquire));
      if (gen != seen) break;
      SEAL_PAUSE();
    }
    if (gen == seen) {
      std::unique_lock<std::mutex> lock(mutex_);
      sleepers_.fetch_add(1);
      // seq_cst on sleepers_ and state_ (here and in parallel_for): a Dekker-style handshake, so
      // either the caller sees this sleeper and notifies, or this check sees the new job.
      wake_.wait(lock, [&] { return stop_.load() || word_generation(state_.load(std::memory_order_seq_cst)) != seen; });
      sleepers_.fetch_sub(1);
      gen = word_generation(state_.load(std::memory_order_acquire));
    }
    seen = gen;
    if (stop_.load()) return;
    run_tasks(gen, thread);
  }
}

void ThreadPool::parallel_for(int tasks, const std::function<void(int, int)>& fn) {
  if (tasks <= 0) return;
  if (threads_ == 1 || tasks == 1) {
    for (int i = 0; i < tasks; ++i) fn(i, 0);
    return;
  }
  // The job word holds at most 65535 tasks; larger jobs run as consecutive batches.
  constexpr int kMaxTasks = 0xffff;
  if (tasks > kMaxTasks) {
    for (int base = 0; base < tasks; base += kMaxTasks) {
      int count = tasks - base < kMaxTasks ? tasks - base : kMaxTasks;
      parallel_for(count, [&](int task, int thread) { fn(base + task, thread); });
    }
    return;
  }
  fn_ = &fn;
  done_.store(0, std::memory_order_relaxed);
  unsigned generation = word_generation(state_.load(std::memory_order_relaxed)) + 1;
  state_.store((uint64_t(generation) << 32) | (uint64_t(tasks) << 16), std::memory_order_seq_cst);
  if (sleepers_.load(std::memory_order_seq_cst) > 0) {
    std::lock_guard<std::mutex> lock(mutex_);  // pairs with the waiter's predicate check
    wake_.notify_all();
  }
  run_tasks(generation, 0);
  while (done_.load(std::memory_order_acquire) != tasks) SEAL_PAUSE();
}

int default_threads() {
  if (const char* env = std::getenv("SEAL_THREADS")) {
    int n = std::atoi(env);
    if (n > 0) return n;
  }
  unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

static std::unique_ptr<ThreadPool>& pool_slot() {
  static std::unique_ptr<ThreadPool> slot;
  return slot;
}

ThreadPool& pool() {
  auto& slot = pool_slot();
  if (!slot) slot = std::make_unique<ThreadPool>(default_threads());
  return *slot;
}

void set_threads(int threads) {
  auto& slot = pool_slot();
  if (slot && slot->threads() == threads) return;
  slot.reset();
  slot = std::make_unique<ThreadPool>(threads);
}

void parallel_range(long n, long min_chunk, const std::function<void(long, long, int)>& fn) {
  if (n <= 0) return;
  int threads = pool().threads();
  long chunks = (n + min_chunk - 1) / (min_chunk < 1 ? 1 : min_chunk);
  long max_chunks = static_cast<long>(threads) * 4;
  if (chunks > max_chunks) chunks = max_chunks;
  if (chunks < 1) chunks = 1;
  long per = (n + chunks - 1) / chunks;
  int count = static_cast<int>((n + per - 1) / per);
  pool().parallel_for(count, [&](int task, int thread) {
    long begin = task * per;
    long end = begin + per < n ? begin + per : n;
    fn(begin, end, thread);
  });
}

}  // namespace seal
