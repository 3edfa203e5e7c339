// io_uring_setup: entries and flags, the params written back, the ring words.
#include <cerrno>
#include <cstdio>
#include <ostream>
#include <string>
#include <vector>

#include "tests/differential/differential.h"

namespace uringsim::difftest {
namespace {

const uint32_t kEntries[] = {1, 2, 3, 7, 8, 9, 100, 1024, 4096, 32768, 32769, 0};

// One setup attempt: return value, and on success every params field and the ring
// words at the offsets returned.
void record_setup(Syscalls& sys, Transcript& t, const std::string& key, uint32_t entries,
                  io_uring_params p) {
  RawRing ring(sys);
  int fd = ring.setup(entries, p);
  t.call(key + ".ret", fd < 0 ? fd : 0, sys);
  if (fd < 0) {
    t.note(key + ".mmap_failed", ring.mmap_failed());
    return;
  }
  t.params(key, p);
  t.note(key + ".ring.sq_ring_mask", ring.sq_ring_mask());
  t.note(key + ".ring.sq_ring_entries", ring.sq_ring_entries());
  t.note(key + ".ring.cq_ring_mask", ring.cq_ring_mask());
  t.note(key + ".ring.cq_ring_entries", ring.cq_ring_entries());
  t.counters(key + ".ring", ring);
}

struct FlagsCase {
  const char* name;
  uint32_t flags;
  uint32_t cq_entries;  // input
};

std::vector<FlagsCase> flag_cases() {
  std::vector<FlagsCase> v = {{"none", 0, 0}, {"none_cq_input_ignored", 0, 7}};
  for (uint32_t cq : {0u, 1u, 9u, 16u, 65536u, 65537u}) {
    v.push_back({"CQSIZE", IORING_SETUP_CQSIZE, cq});
  }
  v.push_back({"CLAMP", IORING_SETUP_CLAMP, 0});
  for (uint32_t cq : {0u, 1u, 9u, 16u, 65536u, 65537u}) {
    v.push_back({"CQSIZE_CLAMP", IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP, cq});
  }
  v.push_back({"SQE128", IORING_SETUP_SQE128, 0});
  v.push_back({"CQE32", IORING_SETUP_CQE32, 0});
  v.push_back({"NO_SQARRAY", IORING_SETUP_NO_SQARRAY, 0});
  v.push_back({"SUBMIT_ALL", IORING_SETUP_SUBMIT_ALL, 0});
  v.push_back({"SQE128_CQE32_NO_SQARRAY",
               IORING_SETUP_SQE128 | IORING_SETUP_CQE32 | IORING_SETUP_NO_SQARRAY, 0});
  return v;
}

void PrintTo(const FlagsCase& c, std::ostream* os) {
  *os << c.name << " (flags 0x" << std::hex << c.flags << std::dec << ", cq_entries "
      << c.cq_entries << ")";
}

class SetupMatrix : public ::testing::TestWithParam<FlagsCase> {};

TEST_P(SetupMatrix, EntriesTimesFlagsMatchLinux) {
  REQUIRE_IO_URING();
  const FlagsCase c = GetParam();
  BothSides both = run_both([&](Syscalls& sys, Transcript& t) {
    for (uint32_t e : kEntries) {
      io_uring_params p{};
      p.flags = c.flags;
      p.cq_entries = c.cq_entries;
      p.features = 0xdeadbeef;  // input value is ignored
      record_setup(sys, t, "entries=" + std::to_string(e), e, p);
    }
  });
  // Pin a few 6.18 facts on the Linux side (spec A.1, A.4).
  const Transcript& lx = both.linux;
  EXPECT_EQ(lx.get("entries=0.ret"), "-22 (EINVAL)");
  if (c.flags == 0) {
    EXPECT_EQ(lx.get("entries=3.sq_entries"), "4");
    EXPECT_EQ(lx.get("entries=8.cq_entries"), "16");
    EXPECT_EQ(lx.get("entries=8.sq_off.array"), "320");
    EXPECT_EQ(lx.get("entries=1.sq_off.array"), "128");
    EXPECT_EQ(lx.get("entries=4096.sq_off.array"), "131136");
    EXPECT_EQ(lx.get("entries=32769.ret"), "-22 (EINVAL)");
  }
  if (c.flags == IORING_SETUP_CLAMP) {
    EXPECT_EQ(lx.get("entries=32769.sq_entries"), "32768");
  }
  if (c.flags == IORING_SETUP_CQE32) {
    EXPECT_EQ(lx.get("entries=8.sq_off.array"), "640");
  }
  if (c.flags == IORING_SETUP_NO_SQARRAY) {
    EXPECT_EQ(lx.get("entries=8.sq_off.array"), "0");
  }
  if (c.flags == IORING_SETUP_CQSIZE && c.cq_entries == 9) {
    EXPECT_EQ(lx.get("entries=8.cq_entries"), "16");
    EXPECT_EQ(lx.get("entries=100.ret"), "-22 (EINVAL)");  // 16 < 128
  }
}

INSTANTIATE_TEST_SUITE_P(Flags, SetupMatrix, ::testing::ValuesIn(flag_cases()),
                         [](const ::testing::TestParamInfo<FlagsCase>& i) {
                           return std::string(i.param.name) + "_cq" +
                                  std::to_string(i.param.cq_entries);
                         });

TEST(Setup, InvalidFlagsAndReservedWords) {
  REQUIRE_IO_URING();
  BothSides both = run_both([](Syscalls& sys, Transcript& t) {
    struct {
      const char* name;
      uint32_t flags;
    } cases[] = {
        {"bit19", 1u << 19},
        {"bit31", 1u << 31},
        {"TASKRUN_FLAG_alone", IORING_SETUP_TASKRUN_FLAG},
        {"REGISTERED_FD_ONLY_alone", IORING_SETUP_REGISTERED_FD_ONLY},
        {"SQ_AFF_alone", IORING_SETUP_SQ_AFF},
        {"CQE32_bit19", IORING_SETUP_CQE32 | (1u << 19)},
    };
    for (const auto& c : cases) {
      io_uring_params p{};
      p.flags = c.flags;
      record_setup(sys, t, c.name, 8, p);
    }
    for (int i = 0; i < 3; ++i) {
      io_uring_params p{};
      p.resv[i] = 1;
      record_setup(sys, t, "resv" + std::to_string(i), 8, p);
    }
    // resv is checked before entries (spec A.1: step 3 before step 6).
    io_uring_params p{};
    p.resv[2] = 0x80000000u;
    record_setup(sys, t, "resv_and_entries0", 0, p);
    t.call("params_null", sys.setup(8, nullptr), sys);
  });
  EXPECT_EQ(both.linux.get("bit19.ret"), "-22 (EINVAL)");
  EXPECT_EQ(both.linux.get("resv1.ret"), "-22 (EINVAL)");
  EXPECT_EQ(both.linux.get("params_null"), "-14 (EFAULT)");
}

// Every setup flag alone (entries 8). Flags the sim does not simulate are compared
// only where Linux fails too; where Linux succeeds and the sim answers EINVAL "not
// simulated", the flag must be in not_simulated_setup_flags() -- and every flag in
// that list must really be refused by the sim (so the list cannot go stale).
TEST(Setup, EachFlagAlone) {
  REQUIRE_IO_URING();
  std::unique_ptr<Syscalls> sim = make_sim_syscalls("6.18");
  LinuxSyscalls lx;
  for (int bit = 0; bit < 32; ++bit) {
    const uint32_t flag = 1u << bit;
    auto attempt = [&](Syscalls& sys, Transcript& t) {
      io_uring_params p{};
      p.flags = flag;
      if (flag & IORING_SETUP_CQSIZE) p.cq_entries = 32;
      record_setup(sys, t, "flag_bit" + std::to_string(bit), 8, p);
    };
    Transcript tl;
    attempt(lx, tl);
    if (!sim) continue;
    Transcript ts;
    attempt(*sim, ts);
    const std::string key = "flag_bit" + std::to_string(bit) + ".ret";
    const bool linux_ok = tl.get(key) == "0";
    const bool sim_ok = ts.get(key) == "0";
    const bool excluded = flag & not_simulated_setup_mask();
    if (excluded && linux_ok) {
      EXPECT_EQ(ts.get(key), "-22 (EINVAL)")
          << "bit " << bit << " is listed as not simulated, but the sim accepted it: "
          << "remove it from not_simulated_setup_flags()";
      continue;
    }
    if (excluded) {
      // Both must fail; the errno may differ (the sim refuses the flag before Linux's
      // own checks of what the flag needs). Differences are printed, not failed.
      EXPECT_FALSE(sim_ok) << "bit " << bit << ": Linux fails (" << tl.get(key)
                           << ") but the sim accepts a flag it does not simulate";
      if (ts.get(key) != tl.get(key)) {
        printf("[   NOTE   ] setup flag bit %d alone (not simulated): linux %s, sim %s\n", bit,
               tl.get(key).c_str(), ts.get(key).c_str());
      }
      continue;
    }
    if (!excluded && linux_ok && !sim_ok) {
      ADD_FAILURE() << "setup flag bit " << bit << " accepted by Linux, refused by the sim ("
                    << ts.get(key) << ", " << ts.entries().front().why
                    << ") and not listed in not_simulated_setup_flags()";
      continue;
    }
    expect_same(tl, ts, "flag bit " + std::to_string(bit) + " alone");
  }
}

TEST(Setup, FeaturesAreLinuxMinusNotSimulated) {
  REQUIRE_IO_URING();
  io_uring_params pl{};
  LinuxSyscalls lx;
  int fd = lx.setup(8, &pl);
  ASSERT_GE(fd, 0);
  lx.close(fd);
  EXPECT_EQ(pl.features, 0x3ffffu) << "this host is not Linux 6.18-like";
  std::unique_ptr<Syscalls> sim = make_sim_syscalls("6.18");
  if (!sim) GTEST_SKIP() << "sim not built into this binary";
  io_uring_params ps{};
  fd = sim->setup(8, &ps);
  ASSERT_GE(fd, 0) << sim->last_reason();
  sim->close(fd);
  std::string listed;
  for (const auto& e : not_simulated_features()) listed += std::string(" ") + e.why;
  EXPECT_EQ(ps.features, pl.features & ~not_simulated_feature_mask())
      << "sim features 0x" << std::hex << ps.features << ", linux 0x" << pl.features
      << ", documented as not simulated:" << listed;
}

}  // namespace
}  // namespace uringsim::difftest
