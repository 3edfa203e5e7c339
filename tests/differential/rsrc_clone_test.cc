// Differential: IORING_REGISTER_BUFFERS2 / BUFFERS_UPDATE / tags and
// IORING_REGISTER_CLONE_BUFFERS, Linux 6.18 against the model (spec C.2, D).
// Which slots hold a buffer is observed with NOP + IORING_NOP_FIXED_BUFFER (0 for a
// buffer, -EFAULT for an empty or missing slot), tags as the CQEs they post.
#include <sys/mman.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "tests/differential/differential.h"

namespace uringsim::difftest {
namespace {

constexpr size_t kPage = 4096;

int buffers2(RawRing& ring, std::vector<iovec>* iovs, std::vector<uint64_t>* tags, uint32_t nr,
             uint32_t flags = 0, uint32_t size = sizeof(io_uring_rsrc_register)) {
  io_uring_rsrc_register rr{};
  rr.nr = nr;
  rr.flags = flags;
  rr.data = iovs ? reinterpret_cast<uint64_t>(iovs->data()) : 0;
  rr.tags = tags ? reinterpret_cast<uint64_t>(tags->data()) : 0;
  return ring.do_register(IORING_REGISTER_BUFFERS2, &rr, size);
}

int update(RawRing& ring, uint32_t offset, std::vector<iovec>* iovs, std::vector<uint64_t>* tags,
           uint32_t nr) {
  io_uring_rsrc_update2 up{};
  up.offset = offset;
  up.nr = nr;
  up.data = iovs ? reinterpret_cast<uint64_t>(iovs->data()) : 0;
  up.tags = tags ? reinterpret_cast<uint64_t>(tags->data()) : 0;
  return ring.do_register(IORING_REGISTER_BUFFERS_UPDATE, &up, sizeof up);
}

int clone(RawRing& dst, int src_fd, uint32_t flags, uint32_t src_off, uint32_t dst_off, uint32_t nr,
          uint32_t pad0 = 0) {
  io_uring_clone_buffers a{};
  a.src_fd = static_cast<uint32_t>(src_fd);
  a.flags = flags;
  a.src_off = src_off;
  a.dst_off = dst_off;
  a.nr = nr;
  a.pad[0] = pad0;
  return dst.do_register(IORING_REGISTER_CLONE_BUFFERS, &a, 1);
}

// "B" for a slot holding a buffer, "-" for empty or absent, one letter per slot < n.
std::string slots(RawRing& ring, uint32_t n) {
  std::string out(n, '?');
  const uint32_t batch = ring.params().sq_entries;
  for (uint32_t first = 0; first < n; first += batch) {
    const uint32_t count = std::min(batch, n - first);
    for (uint32_t i = first; i < first + count; ++i) {
      io_uring_sqe* sqe = ring.next_sqe();
      prep_nop(sqe, 1000 + i);
      sqe->nop_flags = IORING_NOP_FIXED_BUFFER;
      sqe->buf_index = static_cast<uint16_t>(i);
    }
    ring.enter(count, count, IORING_ENTER_GETEVENTS);
    for (const RawCqe& c : ring.reap()) {
      if (c.user_data >= 1000 && c.user_data < 1000 + n) out[c.user_data - 1000] = c.res == 0 ? 'B' : '-';
    }
  }
  return out;
}

class Memory {
 public:
  Memory() {
    base_ = static_cast<char*>(mmap(nullptr, 16 * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    memset(base_, 1, 16 * kPage);
  }
  ~Memory() { munmap(base_, 16 * kPage); }
  iovec page(int i, size_t n = 1) const { return iovec{base_ + i * kPage, n * kPage}; }

 private:
  char* base_;
};

TEST(RsrcDiff, Buffers2ArgumentChecks) {
  REQUIRE_IO_URING();
  Memory mem;
  run_both([&](Syscalls& sys, Transcript& t) {
    RawRing ring(sys);
    io_uring_params p{};
    ASSERT_GE(ring.setup(8, p), 0);
    std::vector<iovec> iovs = {mem.page(0), mem.page(1)};
    std::vector<uint64_t> tags = {0, 0};
    t.call("size24", buffers2(ring, &iovs, nullptr, 2, 0, 24), sys);
    t.call("arg_null", ring.do_register(IORING_REGISTER_BUFFERS2, nullptr, 32), sys);
    t.call("nr0", buffers2(ring, &iovs, nullptr, 0), sys);
    t.call("flag2", buffers2(ring, &iovs, nullptr, 2, 2), sys);
    t.call("sparse_with_data", buffers2(ring, &iovs, nullptr, 2, IORING_RSRC_REGISTER_SPARSE), sys);
    t.call("sparse_16385", buffers2(ring, nullptr, nullptr, 16385, IORING_RSRC_REGISTER_SPARSE), sys);
    std::vector<iovec> with_empty = {mem.page(0), iovec{nullptr, 0}};
    std::vector<uint64_t> tag_on_empty = {0, 7};
    t.call("tag_on_empty", buffers2(ring, &with_empty, &tag_on_empty, 2), sys);
    t.call("after_failure.unregister", ring.do_register(IORING_UNREGISTER_BUFFERS, nullptr, 0), sys);
    t.call("data0_no_flag", buffers2(ring, nullptr, nullptr, 3), sys);
    t.note_str("data0_no_flag.slots", slots(ring, 4));
    t.call("ebusy", buffers2(ring, &iovs, &tags, 2), sys);
    t.call("unregister", ring.do_register(IORING_UNREGISTER_BUFFERS, nullptr, 0), sys);
    t.call("sparse_4", buffers2(ring, nullptr, nullptr, 4, IORING_RSRC_REGISTER_SPARSE), sys);
    t.note_str("sparse_4.slots", slots(ring, 5));
    t.cqes("no_tag_cqes", ring.reap());
  });
}

TEST(RsrcDiff, UpdateAndTags) {
  REQUIRE_IO_URING();
  Memory mem;
  run_both([&](Syscalls& sys, Transcript& t) {
    RawRing ring(sys);
    io_uring_params p{};
    ASSERT_GE(ring.setup(8, p), 0);
    std::vector<iovec> none = {iovec{nullptr, 0}};
    t.call("update_no_table", update(ring, 0, &none, nullptr, 1), sys);
    std::vector<iovec> iovs = {mem.page(0), mem.page(1), iovec{nullptr, 0}, mem.page(2)};
    std::vector<uint64_t> tags = {0xa0, 0, 0, 0xa3};
    t.call("register", buffers2(ring, &iovs, &tags, 4), sys);
    t.call("update_overflow", update(ring, 0xffffffffu, &none, nullptr, 1), sys);
    t.call("update_past_end", update(ring, 3, &iovs, nullptr, 2), sys);
    io_uring_rsrc_update2 bad{};
    bad.nr = 1;
    bad.resv = 1;
    t.call("update_resv", ring.do_register(IORING_REGISTER_BUFFERS_UPDATE, &bad, sizeof bad), sys);
    t.call("update_size16", ring.do_register(IORING_REGISTER_BUFFERS_UPDATE, &bad, 16), sys);
    // Replace slot 0 (tagged 0xa0) and fill slot 2: two updated, the 0xa0 tag posts.
    std::vector<iovec> two = {mem.page(4), mem.page(5)};
    std::vector<uint64_t> two_tags = {0xb0, 0};
    t.call("update_0_1", update(ring, 0, &two, &two_tags, 1), sys);
    t.cqes("after_update_0", ring.reap());
    std::vector<iovec> fill = {mem.page(6)};
    t.call("update_2", update(ring, 2, &fill, nullptr, 1), sys);
    // [good, bad, good] -> 1.
    std::vector<iovec> gbg = {mem.page(7), iovec{nullptr, 8}, mem.page(8)};
    t.call("good_bad_good", update(ring, 1, &gbg, nullptr, 3), sys);
    // {NULL, 0} with a tag, then without: clears slot 3 (tagged 0xa3).
    std::vector<uint64_t> tag1 = {0x99};
    t.call("clear_with_tag", update(ring, 3, &none, &tag1, 1), sys);
    t.call("clear", update(ring, 3, &none, nullptr, 1), sys);
    t.cqes("after_clear", ring.reap());
    t.note_str("slots", slots(ring, 5));
    t.call("unregister", ring.do_register(IORING_UNREGISTER_BUFFERS, nullptr, 0), sys);
    t.cqes("after_unregister", ring.reap());
  });
}

TEST(RsrcDiff, CloneChecksInOrder) {
  REQUIRE_IO_URING();
  Memory mem;
  run_both([&](Syscalls& sys, Transcript& t) {
    RawRing dst(sys), src(sys), empty(sys);
    io_uring_params p{};
    ASSERT_GE(dst.setup(8, p), 0);
    p = {};
    ASSERT_GE(src.setup(8, p), 0);
    p = {};
    ASSERT_GE(empty.setup(8, p), 0);
    io_uring_clone_buffers a{};
    t.call("arg_null", dst.do_register(IORING_REGISTER_CLONE_BUFFERS, nullptr, 1), sys);
    t.call("nr2", dst.do_register(IORING_REGISTER_CLONE_BUFFERS, &a, 2), sys);
    t.call("bad_flag", clone(dst, src.fd(), 4, 0, 0, 0), sys);
    t.call("bad_pad", clone(dst, src.fd(), 0, 0, 0, 0, 1), sys);
    t.call("bad_fd", clone(dst, 9999, 0, 0, 0, 0), sys);
    t.call("not_a_ring", clone(dst, 0, 0, 0, 0, 0), sys);
    t.call("reg_index_16", clone(dst, 16, IORING_REGISTER_SRC_REGISTERED, 0, 0, 0), sys);
    t.call("reg_index_empty", clone(dst, 3, IORING_REGISTER_SRC_REGISTERED, 0, 0, 0), sys);
    t.call("empty_source", clone(dst, empty.fd(), 0, 0, 0, 0), sys);
    t.call("empty_source_nr1", clone(dst, empty.fd(), 0, 0, 0, 1), sys);
    std::vector<iovec> three = {mem.page(0), iovec{nullptr, 0}, mem.page(1)};
    t.call("src_register", buffers2(src, &three, nullptr, 3), sys);
    t.call("offsets_nr0", clone(dst, src.fd(), 0, 1, 0, 0), sys);
    t.call("nr_too_big", clone(dst, src.fd(), 0, 0, 0, 4), sys);
    t.call("src_range", clone(dst, src.fd(), 0, 2, 0, 2), sys);
    t.call("src_off_huge", clone(dst, src.fd(), 0, 0xffffffffu, 0, 1), sys);
    t.call("dst_wraps", clone(dst, src.fd(), 0, 0, 0xffffffffu, 1), sys);
    t.call("dst_past_max", clone(dst, src.fd(), 0, 0, 16383, 2), sys);
    t.call("both_ranges_bad", clone(dst, src.fd(), 0, 2, 16383, 2), sys);
    t.call("ok", clone(dst, src.fd(), 0, 0, 0, 0), sys);
    t.note_str("ok.slots", slots(dst, 4));
    // dst has a table now: EBUSY even with a bad pad or a bad fd.
    t.call("busy", clone(dst, src.fd(), 0, 0, 0, 0), sys);
    t.call("busy_bad_pad", clone(dst, src.fd(), 0, 0, 0, 0, 1), sys);
    t.call("busy_bad_fd", clone(dst, 9999, 0, 0, 0, 0), sys);
    t.call("self_no_replace", clone(dst, dst.fd(), 0, 0, 0, 0), sys);
  });
}

TEST(RsrcDiff, CloneReplaceAndSharedOwnership) {
  REQUIRE_IO_URING();
  Memory mem;
  run_both([&](Syscalls& sys, Transcript& t) {
    RawRing dst(sys), src(sys);
    io_uring_params p{};
    ASSERT_GE(dst.setup(8, p), 0);
    p = {};
    ASSERT_GE(src.setup(8, p), 0);
    std::vector<iovec> s = {mem.page(0), mem.page(1)};
    std::vector<uint64_t> stags = {0x50, 0x51};
    t.call("src_register", buffers2(src, &s, &stags, 2), sys);
    std::vector<iovec> d = {mem.page(4), mem.page(5), mem.page(6), iovec{nullptr, 0}, mem.page(7)};
    std::vector<uint64_t> dtags = {0xd0, 0xd1, 0xd2, 0, 0xd4};
    t.call("dst_register", buffers2(dst, &d, &dtags, 5), sys);
    // Replace [1, 3) with the source's two buffers; slots 0, 3, 4 stay (525916ce).
    t.call("replace", clone(dst, src.fd(), IORING_REGISTER_DST_REPLACE, 0, 1, 2), sys);
    t.cqes("replace.tags", dst.reap());
    t.note_str("replace.slots", slots(dst, 6));
    // Grow past the end.
    t.call("grow", clone(dst, src.fd(), IORING_REGISTER_DST_REPLACE, 1, 7, 1), sys);
    t.note_str("grow.slots", slots(dst, 9));
    // Same ring, REPLACE: duplicate slot 0 into slot 3.
    t.call("self", clone(dst, dst.fd(), IORING_REGISTER_DST_REPLACE, 0, 3, 1), sys);
    t.note_str("self.slots", slots(dst, 9));
    // The source goes away; its tags post on its own ring; the clones keep working.
    t.call("src_unregister", src.do_register(IORING_UNREGISTER_BUFFERS, nullptr, 0), sys);
    t.cqes("src_unregister.tags", src.reap());
    t.note_str("after_src_gone.slots", slots(dst, 9));
    t.call("dst_unregister", dst.do_register(IORING_UNREGISTER_BUFFERS, nullptr, 0), sys);
    t.cqes("dst_unregister.tags", dst.reap());
  });
}

}  // namespace
}  // namespace uringsim::difftest
