// MSG_RING between two rings of one simulated kernel.
#include <cerrno>

#include "tests/kernel_model/ring_fixture.h"

namespace uringsim::testing {
namespace {

using C = RingFixture::SimpleCqe;
constexpr int kTargetFd = 101;

class MsgRing : public RingFixture {
 public:
  // A second ring; its CQ is read through the model.
  void make_target(uint32_t flags = 0) {
    io_uring_params p{};
    p.flags = flags;
    memory.write(kParamsAddr + 512, &p, sizeof p);
    int64_t r = kernel.setup(caller, 8, kParamsAddr + 512);
    ASSERT_GE(r, 0);
    target = static_cast<RingId>(r);
    files.add(kTargetFd, std::make_shared<FakeFile>("", true, true, FileKind::kRing, target));
  }
  std::vector<C> target_cqes() {
    Context* t = kernel.context(target);
    size_t len = 0;
    std::byte* cq = kernel.map(target, IORING_OFF_CQ_RING, &len);
    io_uring_params p;
    memory.read(kParamsAddr + 512, &p, sizeof p);
    std::vector<C> out;
    auto* head = reinterpret_cast<uint32_t*>(cq + p.cq_off.head);
    auto* cqes = reinterpret_cast<io_uring_cqe*>(cq + p.cq_off.cqes);
    while (*head != t->ring().cq_tail()) {
      const io_uring_cqe& c = cqes[*head & (p.cq_entries - 1)];
      out.push_back({c.user_data, c.res, c.flags});
      ++*head;
    }
    return out;
  }
  io_uring_sqe& msg(uint64_t ud, uint64_t target_ud, uint32_t len) {
    io_uring_sqe& s = push(IORING_OP_MSG_RING, ud);
    s.fd = kTargetFd;
    s.addr = IORING_MSG_DATA;
    s.off = target_ud;
    s.len = len;
    return s;
  }
  RingId target = kNoRing;
};

TEST_F(MsgRing, DataPostsIntoTheTarget) {
  ASSERT_GE(setup(8), 0);
  make_target();
  msg(1, 0xabc, 77);
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{1, 0, 0}}));
  EXPECT_EQ(target_cqes(), (std::vector<C>{{0xabc, 77, 0}}));
}

TEST_F(MsgRing, FlagsPassCarriesFileIndexAsCqeFlags) {
  ASSERT_GE(setup(8), 0);
  make_target();
  io_uring_sqe& s = msg(1, 5, 0);
  s.msg_ring_flags = IORING_MSG_RING_FLAGS_PASS;
  s.file_index = 0x1234;
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(target_cqes(), (std::vector<C>{{5, 0, 0x1234}}));
}

TEST_F(MsgRing, Errors) {
  ASSERT_GE(setup_flags(8, IORING_SETUP_SUBMIT_ALL), 0);
  make_target();
  files.add(9, std::make_shared<FakeFile>("x"));
  msg(1, 0, 0).fd = 9;                        // not a ring
  msg(2, 0, 0).msg_ring_flags = 1u << 5;      // unknown flag
  msg(3, 0, 0).file_index = 3;                // file_index without FLAGS_PASS
  msg(4, 0, 0).addr = 7;                      // unknown command
  msg(5, 0, 0).msg_ring_flags = IORING_MSG_RING_CQE_SKIP;  // skip makes no sense for data
  EXPECT_EQ(submit(5), 5);
  EXPECT_EQ(reap(), (std::vector<C>{{1, -EBADFD, 0}, {2, -EINVAL, 0}, {3, -EINVAL, 0}, {4, -EINVAL, 0}, {5, -EINVAL, 0}}));
  EXPECT_TRUE(target_cqes().empty());
}

}  // namespace
}  // namespace uringsim::testing
