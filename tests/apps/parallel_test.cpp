// parallel_for: every item once, and an exception from a worker thread reaches the caller.
#include <doctest/doctest.h>

#include <atomic>
#include <stdexcept>
#include <vector>

#include "parallel.hpp"
#include "saddle/error.hpp"

TEST_CASE("parallel_for runs every item once, on any number of jobs") {
  for (const int jobs : {1, 2, 3, 8}) {
    std::vector<int> hits(100, 0);
    saddle::parallel_for(hits.size(), jobs, [&](std::size_t i) { hits[i] += 1; });
    for (int h : hits) CHECK(h == 1);
  }
  saddle::parallel_for(0, 4, [](std::size_t) { FAIL("no items"); });
}

TEST_CASE("parallel_for rethrows the first exception in the caller, after joining") {
  for (const int jobs : {1, 2, 4}) {
    std::atomic<int> started{0};
    auto run = [&] {
      saddle::parallel_for(1000, jobs, [&](std::size_t i) {
        ++started;
        if (i == 3) throw saddle::InputError("spec.bad_value", "here", "item 3 is bad");
      });
    };
    CHECK_THROWS_WITH_AS(run(), "here: item 3 is bad", saddle::InputError);
    // On one thread the hand-out stops at once; with more, cheap items on the other threads may
    // all be handed out while the exception is being thrown, so only the rethrow is checked.
    if (jobs == 1) CHECK(started.load() == 4);
  }
}
