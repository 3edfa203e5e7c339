#include "bench/register_clone.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "kernel_model/kernel.h"
#include "traces/synthetic_memory.h"

namespace uringsim::bench {

namespace {

constexpr uint64_t k1G = uint64_t{1} << 30;

// The rings of the scenario, as fds of the (simulated) calling process.
class RingFiles : public Files {
 public:
  class RingFile : public File {
   public:
    explicit RingFile(RingId id) : id_(id) {}
    FileKind kind() const override { return FileKind::kRing; }
    bool readable() const override { return true; }
    bool writable() const override { return true; }
    RingId ring() const override { return id_; }
    ssize_t read(void*, size_t, int64_t) override { return -22; }
    ssize_t write(const void*, size_t, int64_t) override { return -22; }
    int sync(bool) override { return -22; }

   private:
    RingId id_;
  };
  std::shared_ptr<File> get(int fd) override {
    auto it = fds_.find(fd);
    return it == fds_.end() ? nullptr : it->second;
  }
  void add(int fd, RingId id) { fds_[fd] = std::make_shared<RingFile>(id); }

 private:
  std::map<int, std::shared_ptr<File>> fds_;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// One simulated process with two rings (fds 3 and 4) and `regions` of memory.
struct Scenario {
  traces::SyntheticMemory memory;
  RingFiles files;
  Caller caller;
  Kernel kernel;
  std::deque<traces::RegionDecl> decls;  // SyntheticMemory keeps pointers to these
  uint64_t scratch = 0;
  uint64_t huge = 0;   // 900 GiB of 1 GiB hugetlb pages
  uint64_t small = 0;  // 900 x 4 KiB of ordinary pages

  explicit Scenario(const CostModel& cost) {
    kernel.set_cost_model(cost);
    caller.creds.pid = caller.creds.tid = 4000;
    caller.creds.uid = 0;
    caller.creds.mm = 4000;
    caller.creds.cap_ipc_lock = true;  // root, as in the seed's measurement
    caller.memory = &memory;
    caller.files = &files;
    scratch = memory.place_anonymous("scratch", 64 << 10);
    traces::RegionDecl& h = decls.emplace_back();
    h.id = "huge";
    h.size = 900 * k1G;
    h.kind = traces::RegionKind::kHugetlb1G;
    huge = memory.place(h);
    traces::RegionDecl& s = decls.emplace_back();
    s.id = "small";
    s.size = 900 * 4096;
    s.kind = traces::RegionKind::kAnonymous;
    small = memory.place(s);
  }
  bool setup_ring(int fd) {
    io_uring_params p{};
    memory.write(scratch, &p, sizeof p);
    const int64_t r = kernel.setup(caller, 8, scratch);
    if (r < 0) return false;
    files.add(fd, static_cast<RingId>(r));
    return true;
  }
  int64_t reg(int fd, uint32_t op, uint64_t arg, uint32_t nr) { return kernel.do_register(caller, fd, op, arg, nr); }
  // REGISTER_BUFFERS of `n` buffers of `size` bytes from `base`.
  int64_t register_buffers(int fd, uint64_t base, uint64_t size, uint32_t n) {
    const uint64_t iovs = scratch + 4096;
    std::vector<uint64_t> v(2 * size_t{n});
    for (uint32_t i = 0; i < n; ++i) {
      v[2 * i] = base + i * size;
      v[2 * i + 1] = size;
    }
    memory.write(iovs, v.data(), 8 * v.size());
    return reg(fd, IORING_REGISTER_BUFFERS, iovs, n);
  }
  int64_t clone(int dst_fd, int src_fd, uint32_t nr) {
    io_uring_clone_buffers a{};
    a.src_fd = static_cast<uint32_t>(src_fd);
    a.nr = nr;
    memory.write(scratch + 1024, &a, sizeof a);
    return reg(dst_fd, IORING_REGISTER_CLONE_BUFFERS, scratch + 1024, 1);
  }
};

// Wall time of f() in microseconds, and the model time the last syscall in it charged.
template <class F>
double wall_us(F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  const auto t1 = std::chrono::steady_clock::now();
  return std::chrono::duration<double, std::micro>(t1 - t0).count();
}

}  // namespace

RegisterCloneReport run_register_clone(const RegisterCloneOptions& o) {
  RegisterCloneReport r;
  Scenario s(o.cost);
  if (!s.setup_ring(3) || !s.setup_ring(4)) {
    r.error = "io_uring_setup failed in the model: " + s.kernel.last_fault().reason;
    return r;
  }
  auto check = [&](int64_t ret, const char* what) {
    if (ret < 0 && r.error.empty()) r.error = std::string(what) + ": " + s.kernel.last_fault().reason;
    return ret >= 0;
  };
  std::vector<double> reg500, reg900, clone900, clone100, clone4k;
  for (int rep = 0; rep < std::max(1, o.repetitions); ++rep) {
    int64_t ret = 0;
    reg500.push_back(wall_us([&] { ret = s.register_buffers(4, s.huge, k1G, 500); }));
    if (!check(ret, "register 500 x 1 GiB")) return r;
    r.register_500_model_ms = s.kernel.last_call_model_ns() / 1e6;
    check(s.reg(4, IORING_UNREGISTER_BUFFERS, 0, 0), "unregister");

    reg900.push_back(wall_us([&] { ret = s.register_buffers(4, s.huge, k1G, 900); }));
    if (!check(ret, "register 900 x 1 GiB")) return r;
    r.register_900_model_ms = s.kernel.last_call_model_ns() / 1e6;

    clone900.push_back(wall_us([&] { ret = s.clone(3, 4, 0); }));
    if (!check(ret, "clone 900 x 1 GiB")) return r;
    r.clone_900_model_us = s.kernel.last_call_model_ns() / 1e3;
    check(s.reg(3, IORING_UNREGISTER_BUFFERS, 0, 0), "unregister clone");

    clone100.push_back(wall_us([&] { ret = s.clone(3, 4, 100); }));
    if (!check(ret, "clone 100 x 1 GiB")) return r;
    check(s.reg(3, IORING_UNREGISTER_BUFFERS, 0, 0), "unregister clone");
    // The source's table goes; with no clone left this is the last reference.
    check(s.reg(4, IORING_UNREGISTER_BUFFERS, 0, 0), "unregister 900");
    r.unregister_900_model_ms = s.kernel.last_call_model_ns() / 1e6;

    if (!check(s.register_buffers(4, s.small, 4096, 900), "register 900 x 4 KiB")) return r;
    clone4k.push_back(wall_us([&] { ret = s.clone(3, 4, 0); }));
    if (!check(ret, "clone 900 x 4 KiB")) return r;
    check(s.reg(3, IORING_UNREGISTER_BUFFERS, 0, 0), "unregister clone");
    check(s.reg(4, IORING_UNREGISTER_BUFFERS, 0, 0), "unregister 900 x 4 KiB");
  }
  if (!r.error.empty()) return r;
  r.register_500_sim_us = median(reg500);
  r.register_900_sim_us = median(reg900);
  r.clone_900_sim_us = median(clone900);
  r.clone_900_1g_sim_us = r.clone_900_sim_us;
  r.clone_100_1g_sim_us = median(clone100);
  r.clone_900_4k_sim_us = median(clone4k);
  r.register_to_clone_ratio = r.clone_900_model_us > 0 ? r.register_900_model_ms * 1e3 / r.clone_900_model_us : 0;
  r.clone_is_o_buffers = r.clone_900_1g_sim_us <= 4 * std::max(r.clone_900_4k_sim_us, 1.0);
  r.ok = true;
  return r;
}

std::string register_clone_json(const RegisterCloneReport& r) {
  char buf[2048];
  if (!r.ok) {
    std::snprintf(buf, sizeof buf, "{\"ok\": false, \"error\": \"%s\"}\n", r.error.c_str());
    return buf;
  }
  std::snprintf(buf, sizeof buf,
                "{\"ok\": true, \"scenario\": \"7cc2a6eadc: N x 1 GiB hugetlb buffers, profile 6.18, CAP_IPC_LOCK\", "
                "\"register_500_model_ms\": %.3f, \"register_900_model_ms\": %.3f, "
                "\"clone_900_model_us\": %.3f, \"unregister_900_model_ms\": %.3f, "
                "\"register_to_clone_ratio\": %.0f, "
                "\"register_500_sim_us\": %.1f, \"register_900_sim_us\": %.1f, \"clone_900_sim_us\": %.1f, "
                "\"clone_scaling\": {\"clone_100_1g_sim_us\": %.1f, \"clone_900_4k_sim_us\": %.1f, "
                "\"clone_900_1g_sim_us\": %.1f, \"clone_is_o_buffers\": %s}}\n",
                r.register_500_model_ms, r.register_900_model_ms, r.clone_900_model_us, r.unregister_900_model_ms,
                r.register_to_clone_ratio, r.register_500_sim_us, r.register_900_sim_us, r.clone_900_sim_us,
                r.clone_100_1g_sim_us, r.clone_900_4k_sim_us, r.clone_900_1g_sim_us,
                r.clone_is_o_buffers ? "true" : "false");
  return buf;
}

}  // namespace uringsim::bench
