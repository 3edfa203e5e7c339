// Differential fuzz findings of issue #6, part B (`uringsim fuzz --differential --seed 1`),
// each pinned with the result Linux 6.18 gives on the project's host:
//  (a) OPENAT/OPENAT2/STATX decide where a lookup starts before any host work: a
//      relative path with a dirfd that is not open is -EBADF, with one that is not a
//      directory -ENOTDIR (seq 277, 622, 827, 1560); build_open_flags() and do_statx()
//      reject bad flags before that;
//  (b) MSG_RING checks its command and fields before the target being disabled, and
//      reads the command as a u32 (seq 1942);
//  (c) a TIMEOUT whose time has already passed when it is armed expires with -ETIME
//      even when a completion count would be reached later in the batch (seq 831);
//  (d) UNREGISTER_IOWQ_AFF succeeds (seq 1122);
//  (e) a chain cancelled by a member that failed names that member's reason (seq 1551:
//      the cause was an opcode the model does not simulate).
#include <fcntl.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <map>
#include <string>

#include "tests/kernel_model/ring_fixture.h"

namespace uringsim::testing {
namespace {

using C = RingFixture::SimpleCqe;
constexpr uint64_t kPath = 0x100000;   // NUL-terminated paths
constexpr uint64_t kHow = 0x101000;    // struct open_how (and what follows it)
constexpr uint64_t kStatx = 0x102000;  // struct statx out
constexpr uint64_t kTs = 0x103000;     // timespecs
constexpr int kFileFd = 5, kDirFd = 7, kClosedFd = 42;
constexpr uint64_t kOpenHowSize = 24;

class Reasons : public Observer {
 public:
  void on_cqe(RingId, const Cqe& c, const Fault* why) override {
    if (why != nullptr) by_user_data[c.user_data] = why->reason;
  }
  std::map<uint64_t, std::string> by_user_data;
};

class FuzzFindingsB : public RingFixture {
 public:
  FuzzFindingsB() {
    for (uint64_t page : {kPath, kHow, kStatx, kTs}) memory.map(page, 4096);
    files.add(kFileFd, std::make_shared<FakeFile>("file"));
    files.add(kDirFd, std::make_shared<FakeFile>("", true, false, FileKind::kDirectory));
    kernel.set_observer(&reasons);
    EXPECT_GE(setup(16), 0);
  }
  // Each path gets its own 256 bytes: prep reads them only when the batch is submitted.
  uint64_t path(const std::string& p) {
    const uint64_t at = kPath + 256 * (paths_++ % 16);
    memory.write(at, p.c_str(), p.size() + 1);
    return at;
  }
  io_uring_sqe& openat(uint64_t ud, int dirfd, const std::string& p, uint32_t flags = O_RDONLY, uint32_t mode = 0) {
    io_uring_sqe& s = op(IORING_OP_OPENAT, ud, dirfd, path(p), mode);
    s.open_flags = flags;
    return s;
  }
  io_uring_sqe& statx(uint64_t ud, int dirfd, const std::string& p, uint32_t flags = 0, uint32_t mask = 0x7ff) {
    io_uring_sqe& s = op(IORING_OP_STATX, ud, dirfd, path(p), mask);
    s.statx_flags = flags;
    s.addr2 = kStatx;
    return s;
  }
  Reasons reasons;

 private:
  uint32_t paths_ = 0;
};

// --- (a) OPENAT / OPENAT2 / STATX ---------------------------------------------------------

TEST_F(FuzzFindingsB, OpenatRelativeToARegularFileIsENOTDIR) {
  openat(1, kFileFd, "etc/passwd");
  EXPECT_EQ(run_one(), (C{1, -ENOTDIR, 0}));
  EXPECT_NE(reasons.by_user_data[1].find("dirfd 5 is not a directory"), std::string::npos) << reasons.by_user_data[1];
}

TEST_F(FuzzFindingsB, OpenatRelativeToAClosedFdIsEBADF) {
  openat(1, kClosedFd, "x");
  openat(2, INT_MAX, "x");
  openat(3, -1, "x");
  EXPECT_EQ(run(3), (std::vector<C>{{1, -EBADF, 0}, {2, -EBADF, 0}, {3, -EBADF, 0}}));
}

TEST_F(FuzzFindingsB, OpenatReasonShowsUnprintablePathBytesEscaped) {
  openat(1, kFileFd, std::string("a\x0e\xff\"b"));
  EXPECT_EQ(run_one(), (C{1, -ENOTDIR, 0}));
  EXPECT_NE(reasons.by_user_data[1].find("\"a\\x0e\\xff\\x22b\""), std::string::npos) << reasons.by_user_data[1];
}

TEST_F(FuzzFindingsB, OpenatPastTheLookupStartIsTheHostsWorkAndThisHostCannot) {
  // An absolute path ignores even a closed dirfd; a directory dirfd is a fine start.
  // FakeFiles opens nothing: the model says so instead of guessing.
  openat(1, kClosedFd, "/etc/passwd");
  EXPECT_EQ(run_one(), (C{1, -EOPNOTSUPP, 0}));
  EXPECT_NE(reasons.by_user_data[1].find("not simulated here"), std::string::npos);
  openat(2, kDirFd, "passwd");
  EXPECT_EQ(run_one(), (C{2, -EOPNOTSUPP, 0}));
  openat(3, AT_FDCWD, "passwd");
  EXPECT_EQ(run_one(), (C{3, -EOPNOTSUPP, 0}));
}

TEST_F(FuzzFindingsB, OpenatFlagChecksComeBeforeTheDirfd) {
  openat(1, kClosedFd, "x", O_CREAT | O_DIRECTORY);
  openat(2, kClosedFd, "x", O_TMPFILE | O_RDONLY);
  openat(3, kClosedFd, "x", O_RDONLY, 0644);  // a mode without O_CREAT is dropped for OPENAT
  EXPECT_EQ(run(3), (std::vector<C>{{1, -EINVAL, 0}, {2, -EINVAL, 0}, {3, -EBADF, 0}}));
}

TEST_F(FuzzFindingsB, Openat2ChecksOpenHowAtIssueAndItsUnknownTailAtPrep) {
  auto openat2 = [&](uint64_t ud, uint64_t flags, uint64_t mode, uint64_t resolve, uint32_t size) {
    const uint64_t how[3] = {flags, mode, resolve};
    const uint64_t at = kHow + 64 * ud;  // one open_how per SQE
    memory.write(at, how, sizeof how);
    io_uring_sqe& s = op(IORING_OP_OPENAT2, ud, kFileFd, path("x"), size);
    s.addr2 = at;
  };
  openat2(1, O_RDONLY, 0, 0, kOpenHowSize);
  openat2(2, O_RDONLY, 0644, 0, kOpenHowSize);     // mode without a create
  openat2(3, O_RDONLY, 0, 0x40, kOpenHowSize);     // unknown RESOLVE_* bit
  openat2(4, O_RDONLY, 0, 0x08 | 0x10, kOpenHowSize);  // BENEATH with IN_ROOT
  openat2(5, O_CREAT | O_RDWR, 0, 0x20, kOpenHowSize);  // RESOLVE_CACHED cannot create
  EXPECT_EQ(run(5), (std::vector<C>{{1, -ENOTDIR, 0}, {2, -EINVAL, 0}, {3, -EINVAL, 0}, {4, -EINVAL, 0}, {5, -EAGAIN, 0}}));
  // A larger open_how from a newer ABI: its unknown bytes must be zero.
  const uint8_t zero[8] = {}, one[8] = {0, 0, 0, 1, 0, 0, 0, 0};
  memory.write(kHow + 64 * 6 + kOpenHowSize, zero, sizeof zero);
  openat2(6, O_RDONLY, 0, 0, kOpenHowSize + 8);
  EXPECT_EQ(run_one(), (C{6, -ENOTDIR, 0}));
  memory.write(kHow + 64 * 7 + kOpenHowSize, one, sizeof one);
  openat2(7, O_RDONLY, 0, 0, kOpenHowSize + 8);
  EXPECT_EQ(run_one(), (C{7, -E2BIG, 0}));
}

TEST_F(FuzzFindingsB, StatxRelativeToANonDirectoryIsENOTDIRAndToAClosedFdEBADF) {
  statx(1, kFileFd, "name");
  statx(2, INT_MAX, "name");
  statx(3, kClosedFd, "/abs");  // absolute: the host's work, which FakeFiles cannot do
  EXPECT_EQ(run(3), (std::vector<C>{{1, -ENOTDIR, 0}, {2, -EBADF, 0}, {3, -EOPNOTSUPP, 0}}));
}

TEST_F(FuzzFindingsB, StatxOfAnEmptyPathIsTheFdItselfSoOnlyAClosedFdFails) {
  statx(1, kFileFd, "", AT_EMPTY_PATH);
  statx(2, kClosedFd, "", AT_EMPTY_PATH);
  statx(3, kFileFd, "");  // without AT_EMPTY_PATH: getname's -ENOENT at prep
  EXPECT_EQ(run(3), (std::vector<C>{{1, -EOPNOTSUPP, 0}, {2, -EBADF, 0}, {3, -ENOENT, 0}}));
}

TEST_F(FuzzFindingsB, StatxMaskAndFlagChecksComeBeforeTheLookup) {
  statx(1, kClosedFd, "name", 0, 0x80000000u);                  // STATX__RESERVED
  statx(2, kClosedFd, "name", AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC);
  statx(3, kClosedFd, "name", 0x1);                              // no such AT_ flag
  EXPECT_EQ(run(3), (std::vector<C>{{1, -EINVAL, 0}, {2, -EINVAL, 0}, {3, -EINVAL, 0}}));
}

// --- (b) MSG_RING -------------------------------------------------------------------------

class FuzzFindingsBMsgRing : public FuzzFindingsB {
 public:
  static constexpr int kTargetFd = 101;
  void make_disabled_target() {
    io_uring_params p{};
    p.flags = IORING_SETUP_R_DISABLED;
    memory.write(kParamsAddr + 512, &p, sizeof p);
    const int64_t r = kernel.setup(caller, 8, kParamsAddr + 512);
    ASSERT_GE(r, 0);
    files.add(kTargetFd, std::make_shared<FakeFile>("", true, true, FileKind::kRing, static_cast<RingId>(r)));
  }
  io_uring_sqe& msg(uint64_t ud, uint64_t cmd) {
    io_uring_sqe& s = op(IORING_OP_MSG_RING, ud, kTargetFd, cmd, 0);
    s.off = 0x4d000001;
    return s;
  }
};

TEST_F(FuzzFindingsBMsgRing, UnknownCommandToADisabledRingIsEINVALNotEBADFD) {
  make_disabled_target();
  msg(1, 0x100000e000ull);  // seq 1942: a buffer address in addr
  msg(2, IORING_MSG_DATA);
  msg(3, IORING_MSG_DATA).addr3 = 1;  // data with addr3 set: its own check first
  msg(4, IORING_MSG_SEND_FD).len = 1;
  msg(5, IORING_MSG_SEND_FD);
  EXPECT_EQ(run(5), (std::vector<C>{{1, -EINVAL, 0}, {2, -EBADFD, 0}, {3, -EINVAL, 0}, {4, -EINVAL, 0}, {5, -EBADFD, 0}}));
}

TEST_F(FuzzFindingsBMsgRing, CommandIsTheLow32BitsOfAddr) {
  make_disabled_target();
  msg(1, (uint64_t{1} << 32) | IORING_MSG_DATA);  // io_msg.cmd is a u32: this is DATA
  EXPECT_EQ(run_one(), (C{1, -EBADFD, 0}));
}

// --- (c) TIMEOUT --------------------------------------------------------------------------

TEST_F(FuzzFindingsB, TimeoutWhoseTimeHasPassedBeatsItsCompletionCount) {
  const int64_t zero[2] = {0, 0};
  memory.write(kTs, zero, sizeof zero);
  io_uring_sqe& t = push(IORING_OP_TIMEOUT, 1);
  t.addr = kTs;
  t.len = 1;
  t.off = 1;  // one completion after it would also end it
  nop(2);
  // The NOP is flushed with the batch; the expiry is posted from task work after it.
  EXPECT_EQ(run(2), (std::vector<C>{{2, 0, 0}, {1, -ETIME, 0}}));
  EXPECT_NE(reasons.by_user_data[1].find("had already passed"), std::string::npos) << reasons.by_user_data[1];
  // The fired timeout is not counted as a completion by a later count timeout.
  const int64_t long_ts[2] = {100, 0};
  memory.write(kTs + 16, long_ts, sizeof long_ts);
  io_uring_sqe& counted = push(IORING_OP_TIMEOUT, 3);
  counted.addr = kTs + 16;
  counted.len = 1;
  counted.off = 1;
  nop(4);
  EXPECT_EQ(run(2), (std::vector<C>{{4, 0, 0}, {3, 0, 0}}));
}

TEST_F(FuzzFindingsB, TimeoutWithAnAbsoluteTimeInThePastExpiresAtOnce) {
  kernel.set_now(5'000'000'000ull);
  const int64_t one_second[2] = {1, 0};
  memory.write(kTs, one_second, sizeof one_second);
  io_uring_sqe& t = push(IORING_OP_TIMEOUT, 1);
  t.addr = kTs;
  t.len = 1;
  t.timeout_flags = IORING_TIMEOUT_ABS;
  EXPECT_EQ(run(1), (std::vector<C>{{1, -ETIME, 0}}));
}

// --- (d) UNREGISTER_IOWQ_AFF ---------------------------------------------------------------

TEST_F(FuzzFindingsB, UnregisterIowqAffIsZeroAndTakesNoArguments) {
  EXPECT_EQ(kernel.do_register(caller, kRingFd, IORING_UNREGISTER_IOWQ_AFF, 0, 0), 0);
  EXPECT_EQ(kernel.do_register(caller, kRingFd, IORING_UNREGISTER_IOWQ_AFF, kPath, 0), -EINVAL);
  EXPECT_EQ(kernel.do_register(caller, kRingFd, IORING_UNREGISTER_IOWQ_AFF, 0, 1), -EINVAL);
}

// --- (e) link cancellations name their cause -------------------------------------------------

TEST_F(FuzzFindingsB, ChainCancelledByALaterMemberThatFailedToPrepareNamesItsReason) {
  nop(1, IOSQE_IO_LINK);
  push(IORING_OP_MKDIRAT, 2);  // not simulated: fails at prep
  EXPECT_EQ(run(2), (std::vector<C>{{1, -ECANCELED, 0}, {2, -EINVAL, 0}}));
  const std::string& why = reasons.by_user_data[1];
  EXPECT_NE(why.find("SQE 1 later in its link failed to prepare"), std::string::npos) << why;
  EXPECT_NE(why.find("IORING_OP_MKDIRAT exists in Linux 5.15+ but is not simulated by uringsim yet"), std::string::npos)
      << why;
}

TEST_F(FuzzFindingsB, ChainCancelledByAnEarlierFailureNamesItsReason) {
  io_uring_sqe& bad = op(IORING_OP_OPENAT, 1, kFileFd, path("x"), 0, IOSQE_IO_LINK);
  bad.open_flags = O_RDONLY;
  nop(2);
  EXPECT_EQ(run(2), (std::vector<C>{{1, -ENOTDIR, 0}, {2, -ECANCELED, 0}}));
  const std::string& why = reasons.by_user_data[2];
  EXPECT_NE(why.find("(user_data 0x1) failed with -20 (ENOTDIR) (OPENAT: dirfd 5 is not a directory"), std::string::npos)
      << why;
}

}  // namespace
}  // namespace uringsim::testing
