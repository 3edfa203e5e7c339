// io_uring_register dispatch: which opcodes exist per profile, argument checks that
// come before the operation, and the reasons given (register.c).
#include <cerrno>
#include <string>

#include "tests/kernel_model/ring_fixture.h"

namespace uringsim::testing {
namespace {

class RegisterTest : public RingFixture {
 public:
  explicit RegisterTest(const Profile& profile = default_profile()) : RingFixture(profile) {
    memory.map(0x20000, 4096);
  }
  int64_t reg(uint32_t opcode, uint64_t arg, uint32_t nr) {
    return kernel.do_register(caller, kRingFd, opcode, arg, nr);
  }
  const std::string& why() { return kernel.last_fault().reason; }
};

class RegisterTest51 : public RegisterTest {
 public:
  RegisterTest51() : RegisterTest(*find_profile("5.1")) {}
};

TEST_F(RegisterTest, UnsimulatedOpcodeIsEINVALWithItsName) {
  ASSERT_GE(setup(8), 0);
  EXPECT_EQ(reg(IORING_REGISTER_NAPI, 0x20000, 1), -EINVAL);
  EXPECT_EQ(why(), "IORING_REGISTER_NAPI is not simulated yet -> EINVAL");
  EXPECT_EQ(reg(IORING_REGISTER_CLOCK, 0x20000, 1), -EINVAL);
  EXPECT_NE(why().find("IORING_REGISTER_CLOCK"), std::string::npos) << why();
  EXPECT_EQ(reg(IORING_REGISTER_QUERY, 0x20000, 1), -EINVAL);
  EXPECT_NE(why().find("IORING_REGISTER_QUERY"), std::string::npos) << why();
}

TEST_F(RegisterTest, OpcodeBeyondRegisterLastIsEINVAL) {
  ASSERT_GE(setup(8), 0);
  EXPECT_EQ(reg(IORING_REGISTER_LAST, 0, 0), -EINVAL);
  EXPECT_EQ(reg(9999, 0, 0), -EINVAL);
}

TEST_F(RegisterTest, UnregisterWithArgumentsIsEINVALBeforeTheTableCheck) {
  ASSERT_GE(setup(8), 0);
  EXPECT_EQ(reg(IORING_UNREGISTER_BUFFERS, 0x20000, 0), -EINVAL);
  EXPECT_EQ(reg(IORING_UNREGISTER_FILES, 0, 2), -EINVAL);
  EXPECT_EQ(reg(IORING_UNREGISTER_BUFFERS, 0, 0), -ENXIO);
  EXPECT_EQ(reg(IORING_UNREGISTER_FILES, 0, 0), -ENXIO);
}

TEST_F(RegisterTest, CallerIsUnboundAfterTheCall) {
  ASSERT_GE(setup(8), 0);
  Caller other = caller;
  FakeMemory other_memory;
  other.memory = &other_memory;  // the iovec array is not in this address space
  memory.map(0x1000000, 4096);
  uint64_t iov[2] = {0x1000000, 4096};
  memory.write(0x20000, iov, sizeof iov);
  EXPECT_EQ(kernel.do_register(other, kRingFd, IORING_REGISTER_BUFFERS, 0x20000, 1), -EFAULT);
  EXPECT_EQ(reg(IORING_REGISTER_BUFFERS, 0x20000, 1), 0);
}

TEST_F(RegisterTest51, OnlyBuffersAndFilesExistOn51) {
  ASSERT_GE(setup(8), 0);
  EXPECT_EQ(reg(IORING_REGISTER_EVENTFD, 0x20000, 1), -EINVAL);
  EXPECT_EQ(reg(IORING_REGISTER_PROBE, 0x20000, 1), -EINVAL);
  EXPECT_EQ(reg(IORING_UNREGISTER_BUFFERS, 0, 0), -ENXIO);
  EXPECT_EQ(reg(IORING_UNREGISTER_FILES, 0, 0), -ENXIO);
}

}  // namespace
}  // namespace uringsim::testing
