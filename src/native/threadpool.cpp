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

ThreadPool::ThreadPool(int threads) : threads_(threads < 1 ? 1 : threads) {
  for (int t = 1; t < threads_; ++t) workers_.emplace_back([this, t] { worker_loop(t); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_.store(true);
    generation_.fetch_add(1);
  }
  wake_.notify_all();
  for (auto& w : workers_) w.join();
}

void ThreadPool::run_tasks(int thread) {
  for (;;) {
    int task = next_task_.fetch_add(1, std::memory_order_relaxed);
    if (task >= tasks_) break;
    (*fn_)(task, thread);
  }
}

void ThreadPool::worker_loop(int thread) {
  unsigned seen = 0;
  for (;;) {
    // Spin a little (cheap wake-up for back-to-back jobs), then sleep on the condition variable.
    int spins = 0;
    while (generation_.load(std::memory_order_acquire) == seen && spins < 20000) {
      SEAL_PAUSE();
      ++spins;
    }
    if (generation_.load(std::memory_order_acquire) == seen) {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
    }
    seen = generation_.load(std::memory_order_acquire);
    if (stop_.load()) return;
    run_tasks(thread);
    pending_workers_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

void ThreadPool::parallel_for(int tasks, const std::function<void(int, int)>& fn) {
  if (tasks <= 0) return;
  if (threads_ == 1 || tasks == 1) {
    for (int i = 0; i < tasks; ++i) fn(i, 0);
    return;
  }
  fn_ = &fn;
  tasks_ = tasks;
  next_task_.store(0, std::memory_order_relaxed);
  pending_workers_.store(threads_ - 1, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    generation_.fetch_add(1, std::memory_order_acq_rel);
  }
  wake_.notify_all();
  run_tasks(0);
  while (pending_workers_.load(std::memory_order_acquire) != 0) SEAL_PAUSE();
  fn_ = nullptr;
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
