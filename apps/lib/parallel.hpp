// A parallel loop for the app's independent work items (scan lines, boundaries, specs).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace saddle {

// Runs work(i) for every i in [0, n) on up to `jobs` threads (the caller's among them), handing
// out indices in increasing order. An exception escaping a std::thread would terminate the
// program; here the first one thrown stops the hand-out and is rethrown in the caller once every
// thread has joined (so a model's InputError still becomes exit code 2).
template <class Work>
void parallel_for(std::size_t n, int jobs, Work&& work) {
  std::atomic<std::size_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto worker = [&] {
    for (std::size_t i = next++; i < n; i = next++) {
      try {
        work(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
        next = n;  // no new items
      }
    }
  };
  const std::size_t threads = std::min<std::size_t>(static_cast<std::size_t>(std::max(1, jobs)), std::max<std::size_t>(1, n));
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace saddle
