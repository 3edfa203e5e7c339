#include "sim/sq_poller.h"

#include <unistd.h>

#include <utility>

#include "sim/wait_policy.h"

namespace uringsim::sim {

SqPoller::SqPoller(Kernel& kernel, Resolve resolve) : kernel_(kernel), resolve_(std::move(resolve)) {
  kernel_.set_sqpoll_host(this);
  const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  kernel_.set_online_cpus(cpus > 0 ? static_cast<uint32_t>(cpus) : 1);
}

SqPoller::~SqPoller() { kernel_.set_sqpoll_host(nullptr); }

void SqPoller::tick() {
  if (kernel_.sq_thread_count() == 0) return;
  kernel_.set_now(monotonic_ns());
  kernel_.sqpoll_tick();
}

}  // namespace uringsim::sim
