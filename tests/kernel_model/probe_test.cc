// IORING_REGISTER_PROBE: what it checks and what it reports, per profile (spec G.1).
#include <cerrno>
#include <cstring>
#include <vector>

#include "kernel_model/opdef.h"
#include "tests/kernel_model/ring_fixture.h"

namespace uringsim::testing {
namespace {

constexpr uint64_t kProbeAddr = 0x20000;

class ProbeTest : public RingFixture {
 public:
  explicit ProbeTest(const Profile& profile = default_profile()) : RingFixture(profile) {
    memory.map(kProbeAddr, 8192);
  }
  int64_t probe(uint64_t arg, uint32_t nr) {
    return kernel.do_register(caller, kRingFd, IORING_REGISTER_PROBE, arg, nr);
  }
  io_uring_probe header() {
    io_uring_probe p;
    memory.read(kProbeAddr, &p, sizeof p);
    return p;
  }
  io_uring_probe_op op(uint32_t i) {
    io_uring_probe_op o;
    memory.read(kProbeAddr + sizeof(io_uring_probe) + 8 * i, &o, sizeof o);
    return o;
  }
};

class ProbeTest51 : public ProbeTest {
 public:
  ProbeTest51() : ProbeTest(*find_profile("5.1")) {}
};

TEST_F(ProbeTest, ReportsLastOpAndTheSimulatedOps) {
  ASSERT_GE(setup(8), 0);
  ASSERT_EQ(probe(kProbeAddr, 256), 0);
  const io_uring_probe h = header();
  EXPECT_EQ(h.last_op, 62);  // IORING_OP_PIPE on 6.18
  EXPECT_EQ(h.ops_len, 63);
  for (uint32_t i = 0; i < 63; ++i) {
    const io_uring_probe_op o = op(i);
    EXPECT_EQ(o.op, i);
    const bool simulated = opdef(static_cast<uint8_t>(i)).prep != nullptr;
    EXPECT_EQ(o.flags, simulated ? IO_URING_OP_SUPPORTED : 0u) << op_name(static_cast<uint8_t>(i));
  }
  for (uint8_t i : {IORING_OP_NOP, IORING_OP_READV, IORING_OP_WRITEV, IORING_OP_FSYNC, IORING_OP_READ_FIXED,
                    IORING_OP_WRITE_FIXED, IORING_OP_READ, IORING_OP_WRITE})
    EXPECT_EQ(op(i).flags, IO_URING_OP_SUPPORTED) << op_name(i);
  // An op Linux 6.18 has but the model does not simulate is reported unsupported.
  uint8_t unsimulated = 0;
  while (unsimulated < 63 && opdef(unsimulated).prep != nullptr) ++unsimulated;
  if (unsimulated < 63) {
    EXPECT_EQ(op(unsimulated).flags, 0u) << op_name(unsimulated);
  }
  // Nothing written past the 63 entries.
  EXPECT_EQ(op(63).op, 0);
}

TEST_F(ProbeTest, FewerEntriesThanOpsFillsOnlyThose) {
  ASSERT_GE(setup(8), 0);
  ASSERT_EQ(probe(kProbeAddr, 3), 0);
  EXPECT_EQ(header().last_op, 62);
  EXPECT_EQ(header().ops_len, 3);
  EXPECT_EQ(op(2).op, 2);
  EXPECT_EQ(op(3).op, 0);
}

TEST_F(ProbeTest, ZeroEntriesSucceedsWithOpsLenZero) {
  ASSERT_GE(setup(8), 0);
  ASSERT_EQ(probe(kProbeAddr, 0), 0);
  EXPECT_EQ(header().last_op, 62);
  EXPECT_EQ(header().ops_len, 0);
}

TEST_F(ProbeTest, NonZeroProbeBytesAreEINVAL) {
  ASSERT_GE(setup(8), 0);
  const uint8_t junk = 1;
  memory.write(kProbeAddr + 5, &junk, 1);  // in the header's resv2
  EXPECT_EQ(probe(kProbeAddr, 4), -EINVAL);
  memory.write(kProbeAddr + 5, "\0", 1);
  memory.write(kProbeAddr + 16 + 8 * 3 + 1, &junk, 1);  // in ops[3]
  EXPECT_EQ(probe(kProbeAddr, 4), -EINVAL);
  // Bytes beyond the entries asked for are not looked at.
  EXPECT_EQ(probe(kProbeAddr, 3), 0);
}

TEST_F(ProbeTest, NullArgOrTooManyEntriesIsEINVAL) {
  ASSERT_GE(setup(8), 0);
  EXPECT_EQ(probe(0, 4), -EINVAL);
  EXPECT_EQ(probe(kProbeAddr, 257), -EINVAL);
  EXPECT_EQ(probe(0x7000000, 4), -EFAULT);  // unmapped
}

TEST_F(ProbeTest51, ProbeDoesNotExistOn51) {
  ASSERT_GE(setup(8), 0);
  EXPECT_EQ(probe(kProbeAddr, 256), -EINVAL);
  EXPECT_EQ(header().last_op, 0);
}

}  // namespace
}  // namespace uringsim::testing
