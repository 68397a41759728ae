// AdaptiveMutex: a mutex whose waiter spins briefly before it sleeps (glibc's
// PTHREAD_MUTEX_ADAPTIVE_NP, which learns how long the lock is usually held).
//
// For locks held a few microseconds by threads that are running, such as a task's shard while
// one call of that task is decided: a waiter that sleeps in the kernel costs a futex wait, a
// futex wake and two context switches, more than the wait itself. A Lockable, so
// std::lock_guard and std::unique_lock work; not for std::condition_variable.
#pragma once

#include <pthread.h>

namespace mandate {

class AdaptiveMutex {
 public:
  AdaptiveMutex() = default;
  AdaptiveMutex(const AdaptiveMutex&) = delete;
  AdaptiveMutex& operator=(const AdaptiveMutex&) = delete;
  ~AdaptiveMutex() { pthread_mutex_destroy(&mu_); }

  void lock() { pthread_mutex_lock(&mu_); }
  bool try_lock() { return pthread_mutex_trylock(&mu_) == 0; }
  void unlock() { pthread_mutex_unlock(&mu_); }

 private:
  pthread_mutex_t mu_ = PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP;
};

}  // namespace mandate
