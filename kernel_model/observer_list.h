// ObserverList: several Observers behind the Kernel's one observer slot
// (e.g. explain mode and the trace recorder at once). Calls each in order.
#pragma once

#include <vector>

#include "kernel_model/kernel.h"

namespace uringsim {

class ObserverList : public Observer {
 public:
  void add(Observer* o) {
    if (o != nullptr) observers_.push_back(o);
  }
  bool empty() const { return observers_.empty(); }

  void before_setup(const Caller& c, uint32_t entries, uint64_t params) override {
    for (Observer* o : observers_) o->before_setup(c, entries, params);
  }
  void before_register(const Caller& c, int fd, uint32_t op, uint64_t arg, uint32_t nr) override {
    for (Observer* o : observers_) o->before_register(c, fd, op, arg, nr);
  }
  void before_enter(const Caller& c, int fd, uint32_t to_submit, uint32_t min_complete,
                    uint32_t flags) override {
    for (Observer* o : observers_) o->before_enter(c, fd, to_submit, min_complete, flags);
  }
  void after_setup(const Caller& c, uint32_t entries, uint64_t params, int64_t ret) override {
    for (Observer* o : observers_) o->after_setup(c, entries, params, ret);
  }
  void after_register(const Caller& c, RingId ring, uint32_t op, uint64_t arg, uint32_t nr,
                      int64_t ret) override {
    for (Observer* o : observers_) o->after_register(c, ring, op, arg, nr, ret);
  }
  void after_enter(const Caller& c, RingId ring, const EnterResult& r) override {
    for (Observer* o : observers_) o->after_enter(c, ring, r);
  }
  void after_wait(RingId ring, int64_t ret) override {
    for (Observer* o : observers_) o->after_wait(ring, ret);
  }
  void on_ring_destroyed(RingId ring) override {
    for (Observer* o : observers_) o->on_ring_destroyed(ring);
  }
  void on_sqe(RingId ring, const Request& req) override {
    for (Observer* o : observers_) o->on_sqe(ring, req);
  }
  void on_cqe(RingId ring, const Cqe& cqe, const Fault* why) override {
    for (Observer* o : observers_) o->on_cqe(ring, cqe, why);
  }
  void on_dropped(RingId ring, uint32_t index) override {
    for (Observer* o : observers_) o->on_dropped(ring, index);
  }
  void on_syscall_fault(const char* call, const Fault& f) override {
    for (Observer* o : observers_) o->on_syscall_fault(call, f);
  }

 private:
  std::vector<Observer*> observers_;
};

}  // namespace uringsim
