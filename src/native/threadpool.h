// A persistent pool of worker threads. The calling (Node main) thread takes part in every job,
// so a pool of N threads starts N-1 workers. Jobs are synchronous: parallel_for returns when all
// tasks are done. Workers spin briefly before sleeping, because decode issues many short jobs.
#pragma once
#include <atomic>
#include <cstdint>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace seal {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  int threads() const { return threads_; }
  // Runs fn(task, thread) for task in [0, tasks). `thread` is in [0, threads()) and unique among
  // the threads running at once, so it can index per-thread scratch buffers.
  void parallel_for(int tasks, const std::function<void(int task, int thread)>& fn);

 private:
  void worker_loop(int thread, unsigned seen);
  // Claims and runs tasks of job `generation` until none is left; false once the job moved on.
  void run_tasks(unsigned generation, int thread);

  int threads_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  // generation | task count | next task (see threadpool.cpp). The caller never waits for a worker
  // that was not scheduled in time: it runs the unclaimed tasks itself.
  std::atomic<uint64_t> state_{0};
  std::atomic<int> done_{0};
  std::atomic<int> sleepers_{0};
  std::atomic<bool> stop_{false};
  const std::function<void(int, int)>* fn_ = nullptr;
};

// The process-wide pool. set_threads() rebuilds it (not while a job runs).
ThreadPool& pool();
void set_threads(int threads);
int default_threads();

// Convenience: split [0, n) into about `chunks` contiguous ranges and run fn(begin, end, thread).
void parallel_range(long n, long min_chunk, const std::function<void(long, long, int)>& fn);

}  // namespace seal
