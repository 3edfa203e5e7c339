// IORING_SETUP_R_DISABLED, IORING_REGISTER_ENABLE_RINGS and IORING_REGISTER_RESTRICTIONS
// (register.c io_register_restrictions / io_register_enable_rings, io_uring.c
// io_check_restriction), as Linux 6.18 answers them.
#include <cerrno>
#include <string>
#include <vector>

#include "tests/kernel_model/ring_fixture.h"

namespace uringsim::testing {
namespace {

using C = RingFixture::SimpleCqe;
constexpr uint64_t kArg = 0x20000;

class Restrict : public RingFixture {
 public:
  Restrict() { memory.map(kArg, 8192); }
  int64_t reg(uint32_t opcode, uint64_t arg, uint32_t nr) { return kernel.do_register(caller, kRingFd, opcode, arg, nr); }
  const std::string& why() { return kernel.last_fault().reason; }
  static io_uring_restriction rule(uint16_t op, uint8_t value) {
    io_uring_restriction r{};
    r.opcode = op;
    r.register_op = value;
    return r;
  }
  int64_t restrict_to(const std::vector<io_uring_restriction>& rules) {
    memory.write(kArg, rules.data(), rules.size() * sizeof(io_uring_restriction));
    return reg(IORING_REGISTER_RESTRICTIONS, kArg, static_cast<uint32_t>(rules.size()));
  }
};

TEST_F(Restrict, DisabledRingRefusesEnterWithEBADFDUntilEnabled) {
  ASSERT_GE(setup_flags(8, IORING_SETUP_R_DISABLED), 0);
  nop(1);
  EXPECT_EQ(enter(1).ret, -EBADFD);
  EXPECT_EQ(enter(0, 0, IORING_ENTER_GETEVENTS).ret, -EBADFD);
  EXPECT_NE(why().find("R_DISABLED"), std::string::npos) << why();
  EXPECT_EQ(sq_head(), 0u);  // nothing consumed
  EXPECT_EQ(reg(IORING_REGISTER_ENABLE_RINGS, 0, 0), 0);
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{1, 0, 0}}));
}

TEST_F(Restrict, UnknownEnterFlagIsCheckedBeforeTheDisabledRing) {
  ASSERT_GE(setup_flags(8, IORING_SETUP_R_DISABLED), 0);
  EXPECT_EQ(enter(0, 0, 1u << 20).ret, -EINVAL);
}

TEST_F(Restrict, EnableRingsOnAnEnabledRingIsEBADFD) {
  ASSERT_GE(setup(8), 0);
  EXPECT_EQ(reg(IORING_REGISTER_ENABLE_RINGS, 0, 0), -EBADFD);
  ASSERT_GE(setup_flags(8, IORING_SETUP_R_DISABLED), 0);
  EXPECT_EQ(reg(IORING_REGISTER_ENABLE_RINGS, 0, 0), 0);
  EXPECT_EQ(reg(IORING_REGISTER_ENABLE_RINGS, 0, 0), -EBADFD);
}

TEST_F(Restrict, EnableRingsWithArgumentsIsEINVAL) {
  ASSERT_GE(setup_flags(8, IORING_SETUP_R_DISABLED), 0);
  EXPECT_EQ(reg(IORING_REGISTER_ENABLE_RINGS, kArg, 0), -EINVAL);
  EXPECT_EQ(reg(IORING_REGISTER_ENABLE_RINGS, 0, 1), -EINVAL);
}

TEST_F(Restrict, RestrictionsNeedADisabledRing) {
  ASSERT_GE(setup(8), 0);
  EXPECT_EQ(restrict_to({rule(IORING_RESTRICTION_SQE_OP, IORING_OP_NOP)}), -EBADFD);
}

TEST_F(Restrict, RestrictionsAfterEnableAreEBADFD) {
  ASSERT_GE(setup_flags(8, IORING_SETUP_R_DISABLED), 0);
  ASSERT_EQ(reg(IORING_REGISTER_ENABLE_RINGS, 0, 0), 0);
  EXPECT_EQ(restrict_to({rule(IORING_RESTRICTION_SQE_OP, IORING_OP_NOP)}), -EBADFD);
}

TEST_F(Restrict, OnlyOneRegistrationEvenAnEmptyOne) {
  ASSERT_GE(setup_flags(8, IORING_SETUP_R_DISABLED), 0);
  EXPECT_EQ(reg(IORING_REGISTER_RESTRICTIONS, kArg, 0), 0);
  EXPECT_EQ(restrict_to({rule(IORING_RESTRICTION_SQE_OP, IORING_OP_NOP)}), -EBUSY);
}

TEST_F(Restrict, ArgumentChecks) {
  ASSERT_GE(setup_flags(8, IORING_SETUP_R_DISABLED), 0);
  EXPECT_EQ(reg(IORING_REGISTER_RESTRICTIONS, 0, 1), -EINVAL);
  // IORING_MAX_RESTRICTIONS = RESTRICTION_LAST + REGISTER_LAST + OP_LAST = 4 + 36 + 63.
  EXPECT_EQ(reg(IORING_REGISTER_RESTRICTIONS, kArg, 104), -EINVAL);
  EXPECT_EQ(reg(IORING_REGISTER_RESTRICTIONS, 0x7000000, 1), -EFAULT);
  EXPECT_EQ(restrict_to({rule(IORING_RESTRICTION_REGISTER_OP, IORING_REGISTER_LAST)}), -EINVAL);
  EXPECT_EQ(restrict_to({rule(IORING_RESTRICTION_SQE_OP, IORING_OP_LAST)}), -EINVAL);
  EXPECT_EQ(restrict_to({rule(IORING_RESTRICTION_LAST, 0)}), -EINVAL);
  // A failed registration leaves nothing behind: the next one is accepted.
  io_uring_restriction with_resv = rule(IORING_RESTRICTION_SQE_OP, IORING_OP_NOP);
  with_resv.resv = 5;  // reserved fields are not checked
  with_resv.resv2[0] = 7;
  EXPECT_EQ(restrict_to({with_resv}), 0);
}

TEST_F(Restrict, EmptyRestrictionsRefuseEveryRegisterOpAndSqe) {
  ASSERT_GE(setup_flags(8, IORING_SETUP_R_DISABLED), 0);
  ASSERT_EQ(reg(IORING_REGISTER_RESTRICTIONS, kArg, 0), 0);
  // Not binding until the ring is enabled.
  EXPECT_EQ(reg(IORING_REGISTER_PROBE, kArg + 4096, 1), 0);
  ASSERT_EQ(reg(IORING_REGISTER_ENABLE_RINGS, 0, 0), 0);
  std::vector<std::byte> zero(64);
  memory.write(kArg + 4096, zero.data(), zero.size());
  EXPECT_EQ(reg(IORING_REGISTER_PROBE, kArg + 4096, 1), -EACCES);
  EXPECT_EQ(reg(IORING_REGISTER_ENABLE_RINGS, 0, 0), -EACCES);
  // The opcode range is checked first.
  EXPECT_EQ(reg(99, 0, 0), -EINVAL);
  nop(1);
  nop(2);
  EXPECT_EQ(submit(2), 1);  // the failed SQE ends the batch
  EXPECT_EQ(reap(), (std::vector<C>{{1, -EACCES, 0}}));
}

TEST_F(Restrict, AllowedRegisterOpPasses) {
  ASSERT_GE(setup_flags(8, IORING_SETUP_R_DISABLED), 0);
  ASSERT_EQ(restrict_to({rule(IORING_RESTRICTION_REGISTER_OP, IORING_REGISTER_PROBE)}), 0);
  ASSERT_EQ(reg(IORING_REGISTER_ENABLE_RINGS, 0, 0), 0);
  std::vector<std::byte> zero(64);
  memory.write(kArg + 4096, zero.data(), zero.size());
  EXPECT_EQ(reg(IORING_REGISTER_PROBE, kArg + 4096, 1), 0);
  EXPECT_EQ(reg(IORING_UNREGISTER_FILES, 0, 0), -EACCES);
  EXPECT_NE(why().find("restrictions"), std::string::npos) << why();
}

TEST_F(Restrict, SqeOpAndAllowedFlags) {
  ASSERT_GE(setup_flags(8, IORING_SETUP_R_DISABLED), 0);
  ASSERT_EQ(restrict_to({rule(IORING_RESTRICTION_SQE_OP, IORING_OP_NOP),
                         rule(IORING_RESTRICTION_SQE_FLAGS_ALLOWED, IOSQE_IO_LINK)}),
            0);
  ASSERT_EQ(reg(IORING_REGISTER_ENABLE_RINGS, 0, 0), 0);
  nop(1);
  nop(2, IOSQE_IO_LINK);
  nop(3);
  EXPECT_EQ(submit(3), 3);
  nop(4, IOSQE_ASYNC);
  EXPECT_EQ(submit(1), 1);
  push(IORING_OP_TIMEOUT, 5);
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{1, 0, 0}, {2, 0, 0}, {3, 0, 0}, {4, -EACCES, 0}, {5, -EACCES, 0}}));
}

TEST_F(Restrict, RequiredFlagsMustAllBeSet) {
  ASSERT_GE(setup_flags(8, IORING_SETUP_R_DISABLED), 0);
  ASSERT_EQ(restrict_to({rule(IORING_RESTRICTION_SQE_OP, IORING_OP_NOP),
                         rule(IORING_RESTRICTION_SQE_FLAGS_REQUIRED, IOSQE_ASYNC)}),
            0);
  ASSERT_EQ(reg(IORING_REGISTER_ENABLE_RINGS, 0, 0), 0);
  nop(1);
  EXPECT_EQ(submit(1), 1);
  nop(2, IOSQE_ASYNC);
  EXPECT_EQ(submit(1), 1);
  nop(3, IOSQE_ASYNC | IOSQE_IO_DRAIN);  // DRAIN is neither allowed nor required
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{1, -EACCES, 0}, {2, 0, 0}, {3, -EACCES, 0}}));
}

TEST_F(Restrict, InvalidFlagsAndOpcodesAreEINVALBeforeRestrictions) {
  ASSERT_GE(setup_flags(8, IORING_SETUP_R_DISABLED), 0);
  ASSERT_EQ(reg(IORING_REGISTER_RESTRICTIONS, kArg, 0), 0);
  ASSERT_EQ(reg(IORING_REGISTER_ENABLE_RINGS, 0, 0), 0);
  nop(1, 0x80);
  EXPECT_EQ(submit(1), 1);
  push(200, 2);
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{1, -EINVAL, 0}, {2, -EINVAL, 0}}));
}

TEST_F(Restrict, SingleIssuerSubmitterIsWhoeverEnablesTheRing) {
  ASSERT_GE(setup_flags(8, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_R_DISABLED), 0);
  Caller other = caller;
  other.creds.tid = 1001;
  EXPECT_EQ(kernel.do_register(other, kRingFd, IORING_REGISTER_ENABLE_RINGS, 0, 0), 0);
  nop(1);
  EXPECT_EQ(submit(1), -EEXIST);
  EXPECT_EQ(kernel.enter(other, kRingFd, 1, 0, 0, 0, 0).ret, 1);
}

TEST_F(Restrict, SingleIssuerRingRefusesOtherTasksRegisterWithEEXIST) {
  ASSERT_GE(setup_flags(8, IORING_SETUP_SINGLE_ISSUER), 0);
  Caller other = caller;
  other.creds.tid = 1001;
  std::vector<std::byte> zero(64);
  memory.write(kArg, zero.data(), zero.size());
  EXPECT_EQ(kernel.do_register(other, kRingFd, IORING_REGISTER_PROBE, kArg, 1), -EEXIST);
  EXPECT_EQ(kernel.do_register(other, kRingFd, IORING_REGISTER_ENABLE_RINGS, 0, 0), -EEXIST);
  EXPECT_EQ(reg(IORING_REGISTER_PROBE, kArg, 1), 0);
}

TEST_F(Restrict, SetupAcceptsRDisabled) {
  ASSERT_GE(setup_flags(8, IORING_SETUP_R_DISABLED), 0);
  EXPECT_EQ(params.flags, IORING_SETUP_R_DISABLED);
}

}  // namespace
}  // namespace uringsim::testing
