// io_uring_enter's sigset (plain `sig` argument or EXT_ARG sigmask): looked at only
// when the call really waits -- size first (-EINVAL), then the copy (-EFAULT), as
// set_user_sigmask does -- and handed to the host, which applies it during the wait.
#include <signal.h>

#include <cerrno>

#include "tests/kernel_model/ring_fixture.h"

namespace uringsim::testing {
namespace {

using EnterSigmask = RingFixture;

// Free fake memory beyond the params page.
constexpr uint64_t kSigsetAddr = kParamsAddr + 0x800;
constexpr uint64_t kUnmapped = 0x8;

TEST_F(EnterSigmask, WaitCopiesTheSigsetForTheHost) {
  ASSERT_GE(setup(8), 0);
  const uint64_t set = (uint64_t{1} << (SIGALRM - 1)) | (uint64_t{1} << (SIGUSR2 - 1));
  memory.write(kSigsetAddr, &set, sizeof set);
  const EnterResult r = enter(0, 1, IORING_ENTER_GETEVENTS, kSigsetAddr, 8);
  EXPECT_TRUE(r.must_wait);
  EXPECT_EQ(r.sigmask_addr, kSigsetAddr);
  EXPECT_EQ(r.sigmask, set);
}

TEST_F(EnterSigmask, UnreadableSigsetIsEFAULTWhenTheCallWaits) {
  ASSERT_GE(setup(8), 0);
  const EnterResult r = enter(0, 1, IORING_ENTER_GETEVENTS, kUnmapped, 8);
  EXPECT_EQ(r.ret, -EFAULT);
  EXPECT_FALSE(r.must_wait);
}

TEST_F(EnterSigmask, SizeIsCheckedBeforeTheCopy) {
  ASSERT_GE(setup(8), 0);
  EXPECT_EQ(enter(0, 1, IORING_ENTER_GETEVENTS, kUnmapped, 16).ret, -EINVAL);
}

TEST_F(EnterSigmask, UnreadableSigsetIsNotLookedAtWithoutAWait) {
  ASSERT_GE(setup(8), 0);
  nop(1);
  const EnterResult r = enter(1, 1, IORING_ENTER_GETEVENTS, kUnmapped, 8);
  EXPECT_EQ(r.ret, 1);  // the NOP's CQE is there: no wait, no copy
  EXPECT_FALSE(r.must_wait);
}

TEST_F(EnterSigmask, ExtArgSigmaskUnreadableIsEFAULTAfterSubmitting) {
  ASSERT_GE(setup(8), 0);
  io_uring_getevents_arg ext{};
  ext.sigmask = kUnmapped;
  ext.sigmask_sz = 8;
  memory.write(kSigsetAddr, &ext, sizeof ext);
  const EnterResult none = enter(0, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, kSigsetAddr, sizeof ext);
  EXPECT_EQ(none.ret, -EFAULT);
  // With something submitted the wait's error is not reported (nothing completes here:
  // a NOP would, so wait for two).
  nop(1);
  const EnterResult one = enter(1, 2, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, kSigsetAddr, sizeof ext);
  EXPECT_EQ(one.ret, 1);
  EXPECT_FALSE(one.must_wait);
}

}  // namespace
}  // namespace uringsim::testing
