// Running code on a thread with a small stack: a test that it does not recurse on its input's nesting.
#pragma once

#include <pthread.h>

#include <cstddef>
#include <exception>
#include <functional>
#include <stdexcept>
#include <string>

namespace fv::testing {

// Runs `f` on a new thread whose stack is `stack_bytes` (256 KiB by default; Linux gives 8 MiB), waits for it
// and rethrows what `f` threw. Code that recursed once per level of a deeply nested input would overflow
// that stack and crash the test program, which is the point.
inline void run_with_small_stack(const std::function<void()>& f, std::size_t stack_bytes = 256 * 1024) {
  struct Job {
    const std::function<void()>* f;
    std::exception_ptr error;
  } job{&f, nullptr};
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  int rc = pthread_attr_setstacksize(&attr, stack_bytes);
  pthread_t thread{};
  if (rc == 0) {
    rc = pthread_create(
        &thread, &attr,
        [](void* p) -> void* {
          auto* j = static_cast<Job*>(p);
          try {
            (*j->f)();
          } catch (...) {
            j->error = std::current_exception();
          }
          return nullptr;
        },
        &job);
  }
  pthread_attr_destroy(&attr);
  if (rc != 0) throw std::runtime_error("cannot start a thread with a small stack: error " + std::to_string(rc));
  pthread_join(thread, nullptr);
  if (job.error) std::rethrow_exception(job.error);
}

}  // namespace fv::testing
