// Pins uapi/io_uring.h to the real Linux ABI.
//
// 1. Every member and constant the host's <linux/io_uring.h> (6.1 on Debian 12)
//    shares with ours has the same offset, size and value.
// 2. The 6.18-only parts the host cannot vouch for are checked against the
//    values in docs/spec (kernel-semantics.md, sections 1.x, A.2, A.3, G.2, G.3).
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <utility>

#include "tests/uapi/layout_table.h"
#include "uapi/io_uring.h"

namespace uringsim::uapi_test {
namespace {

// Lower bounds on how much the host comparison covers, so that a broken table
// (or a host header without io_uring) cannot pass by comparing nothing.
constexpr std::size_t kMinComparedFields = 150;
constexpr std::size_t kMinComparedConstants = 170;

using FieldKey = std::pair<std::string, std::string>;

std::map<FieldKey, FieldEntry> IndexFields(const LayoutTable& t) {
  std::map<FieldKey, FieldEntry> out;
  for (const FieldEntry& f : t.fields) {
    const bool inserted = out.emplace(FieldKey{f.strct, f.field}, f).second;
    EXPECT_TRUE(inserted) << "duplicate table row " << f.strct << "." << f.field;
  }
  return out;
}

std::map<std::string, long long> IndexConstants(const LayoutTable& t) {
  std::map<std::string, long long> out;
  for (const ConstEntry& c : t.constants) {
    const bool inserted = out.emplace(c.name, c.value).second;
    EXPECT_TRUE(inserted) << "duplicate constant " << c.name;
  }
  return out;
}

TEST(UapiLayout, EveryHostFieldHasTheSameOffsetAndSizeInOurs) {
  const auto ours = IndexFields(OurLayout());
  const auto host = IndexFields(HostLayout());
  std::size_t compared = 0;
  for (const auto& [key, h] : host) {
    const auto it = ours.find(key);
    ASSERT_NE(it, ours.end()) << "our header lacks " << key.first << "." << key.second;
    EXPECT_EQ(it->second.offset, h.offset) << key.first << "." << key.second << " offset";
    EXPECT_EQ(it->second.size, h.size) << key.first << "." << key.second << " size";
    ++compared;
  }
  std::printf("[uapi] compared %zu struct fields/sizes with the host header\n", compared);
  EXPECT_GE(compared, kMinComparedFields);
}

TEST(UapiLayout, EveryHostConstantHasTheSameValueInOurs) {
  const auto ours = IndexConstants(OurLayout());
  const auto host = IndexConstants(HostLayout());
  std::size_t compared = 0;
  for (const auto& [name, value] : host) {
    const auto it = ours.find(name);
    ASSERT_NE(it, ours.end()) << "our header lacks " << name;
    EXPECT_EQ(it->second, value) << name;
    ++compared;
  }
  std::printf("[uapi] compared %zu constants with the host header\n", compared);
  EXPECT_GE(compared, kMinComparedConstants);
}

TEST(UapiLayout, OurTableIsSelfConsistent) {
  // Every member lies inside its struct, and our table is bigger than the
  // host's (6.18 is a superset of 6.1).
  const LayoutTable ours = OurLayout();
  std::map<std::string, std::size_t> struct_size;
  for (const FieldEntry& f : ours.fields) {
    if (std::string(f.field) == "(sizeof)") struct_size[f.strct] = f.size;
  }
  for (const FieldEntry& f : ours.fields) {
    ASSERT_TRUE(struct_size.count(f.strct)) << f.strct;
    EXPECT_LE(f.offset + f.size, struct_size[f.strct]) << f.strct << "." << f.field;
  }
  const LayoutTable host = HostLayout();
  EXPECT_GT(ours.fields.size(), host.fields.size());
  EXPECT_GT(ours.constants.size(), host.constants.size());
}

// Values that 6.1 cannot confirm; they come from the 6.18 spec.
TEST(UapiLayout, Linux618OnlyValuesAreExact) {
  EXPECT_EQ(IORING_OP_PIPE, 62);
  EXPECT_EQ(IORING_OP_LAST, 63);
  EXPECT_EQ(IORING_OP_READV_FIXED, 60);
  EXPECT_EQ(IORING_OP_RECV_ZC, 58);
  EXPECT_EQ(IORING_OP_BIND, 56);
  EXPECT_EQ(IORING_OP_FIXED_FD_INSTALL, 54);
  EXPECT_EQ(IORING_OP_READ_MULTISHOT, 49);
  EXPECT_EQ(IORING_SETUP_NO_MMAP, 1u << 14);
  EXPECT_EQ(IORING_SETUP_NO_SQARRAY, 1u << 16);
  EXPECT_EQ(IORING_SETUP_HYBRID_IOPOLL, 1u << 17);
  EXPECT_EQ(IORING_SETUP_CQE_MIXED, 1u << 18);
  EXPECT_EQ(IORING_REGISTER_PBUF_STATUS, 26);
  EXPECT_EQ(IORING_REGISTER_CLONE_BUFFERS, 30);
  EXPECT_EQ(IORING_REGISTER_MEM_REGION, 34);
  EXPECT_EQ(IORING_REGISTER_QUERY, 35);
  EXPECT_EQ(IORING_REGISTER_LAST, 36);
  EXPECT_EQ(static_cast<unsigned>(IORING_REGISTER_USE_REGISTERED_RING), 1u << 31);
  EXPECT_EQ(IORING_FEAT_REG_REG_RING, 1u << 13);
  EXPECT_EQ(IORING_FEAT_MIN_TIMEOUT, 1u << 15);
  EXPECT_EQ(IORING_FEAT_RW_ATTR, 1u << 16);
  EXPECT_EQ(IORING_FEAT_NO_IOWAIT, 1u << 17);
  EXPECT_EQ(IORING_ENTER_ABS_TIMER, 1u << 5);
  EXPECT_EQ(IORING_ENTER_EXT_ARG_REG, 1u << 6);
  EXPECT_EQ(IORING_ENTER_NO_IOWAIT, 1u << 7);
  EXPECT_EQ(IORING_CQE_F_BUF_MORE, 1u << 4);
  EXPECT_EQ(IORING_CQE_F_SKIP, 1u << 5);
  EXPECT_EQ(IORING_CQE_F_32, 1u << 15);
  EXPECT_EQ(IORING_RECVSEND_BUNDLE, 1u << 4);
  EXPECT_EQ(IORING_SEND_VECTORIZED, 1u << 5);
  EXPECT_EQ(IORING_NOP_INJECT_RESULT, 1u << 0);
  EXPECT_EQ(IORING_NOP_CQE32, 1u << 5);
  EXPECT_EQ(IOU_PBUF_RING_MMAP, 1);
  EXPECT_EQ(IOU_PBUF_RING_INC, 2);
  EXPECT_EQ(IORING_OFF_PBUF_RING, 0x80000000ULL);
  EXPECT_EQ(IORING_OFF_PBUF_SHIFT, 16);
  EXPECT_EQ(IORING_REGISTER_SRC_REGISTERED, 1u << 0);
  EXPECT_EQ(IORING_REGISTER_DST_REPLACE, 1u << 1);

  // Feature mask reported by 6.18 (spec A.3): bits 0..17.
  constexpr unsigned kAllFeatures =
      IORING_FEAT_SINGLE_MMAP | IORING_FEAT_NODROP | IORING_FEAT_SUBMIT_STABLE |
      IORING_FEAT_RW_CUR_POS | IORING_FEAT_CUR_PERSONALITY | IORING_FEAT_FAST_POLL |
      IORING_FEAT_POLL_32BITS | IORING_FEAT_SQPOLL_NONFIXED | IORING_FEAT_EXT_ARG |
      IORING_FEAT_NATIVE_WORKERS | IORING_FEAT_RSRC_TAGS | IORING_FEAT_CQE_SKIP |
      IORING_FEAT_LINKED_FILE | IORING_FEAT_REG_REG_RING | IORING_FEAT_RECVSEND_BUNDLE |
      IORING_FEAT_MIN_TIMEOUT | IORING_FEAT_RW_ATTR | IORING_FEAT_NO_IOWAIT;
  EXPECT_EQ(kAllFeatures, 0x3ffffu);
}

TEST(UapiLayout, Linux618OnlyOffsetsAreExact) {
  EXPECT_EQ(sizeof(io_uring_sqe), 64u);
  EXPECT_EQ(offsetof(io_uring_sqe, buf_index), 40u);
  EXPECT_EQ(offsetof(io_uring_sqe, zcrx_ifq_idx), 44u);
  EXPECT_EQ(offsetof(io_uring_sqe, write_stream), 44u);
  EXPECT_EQ(offsetof(io_uring_sqe, addr3), 48u);
  EXPECT_EQ(offsetof(io_uring_sqe, attr_ptr), 48u);
  EXPECT_EQ(offsetof(io_uring_sqe, attr_type_mask), 56u);
  EXPECT_EQ(offsetof(io_uring_sqe, level), 16u);
  EXPECT_EQ(offsetof(io_uring_sqe, optname), 20u);
  EXPECT_EQ(offsetof(io_uring_sqe, pipe_flags), 28u);
  EXPECT_EQ(sizeof(io_uring_cqe), 16u);
  EXPECT_EQ(offsetof(io_uring_cqe, big_cqe), 16u);
  EXPECT_EQ(sizeof(io_uring_params), 120u);
  EXPECT_EQ(offsetof(io_uring_params, sq_off), 40u);
  EXPECT_EQ(offsetof(io_uring_params, cq_off), 80u);
  EXPECT_EQ(offsetof(io_sqring_offsets, user_addr), 32u);
  EXPECT_EQ(offsetof(io_cqring_offsets, user_addr), 32u);
  EXPECT_EQ(sizeof(io_uring_clone_buffers), 32u);
  EXPECT_EQ(sizeof(io_uring_buf_reg), 40u);
  EXPECT_EQ(offsetof(io_uring_buf_reg, flags), 14u);
  EXPECT_EQ(sizeof(io_uring_buf_status), 40u);
  EXPECT_EQ(offsetof(io_uring_getevents_arg, min_wait_usec), 12u);
  EXPECT_EQ(sizeof(io_uring_reg_wait), 64u);
  EXPECT_EQ(sizeof(io_uring_region_desc), 64u);
  EXPECT_EQ(sizeof(io_uring_mem_region_reg), 32u);
  EXPECT_EQ(sizeof(io_uring_napi), 16u);
  EXPECT_EQ(sizeof(io_uring_attr_pi), 32u);
  EXPECT_EQ(sizeof(io_uring_sync_cancel_reg), 64u);
  EXPECT_EQ(offsetof(io_uring_sync_cancel_reg, opcode), 32u);
}

// The ring tail shares bytes 14..15 with bufs[0].resv (spec 1.7). The 6.1 host
// header gets bufs wrong in C++ (offset 8), so this is checked here directly.
TEST(UapiLayout, BufRingTailOverlaysFirstBufferResv) {
  EXPECT_EQ(offsetof(io_uring_buf_ring, bufs), 0u);
  EXPECT_EQ(offsetof(io_uring_buf_ring, tail), 14u);
  EXPECT_EQ(sizeof(io_uring_buf_ring), sizeof(io_uring_buf));
  EXPECT_EQ(offsetof(io_uring_buf_ring, tail), offsetof(io_uring_buf, resv));
  io_uring_buf_ring ring = {};
  ring.tail = 0xBEEF;
  io_uring_buf first;
  std::memcpy(&first, &ring, sizeof(first));
  EXPECT_EQ(first.resv, 0xBEEF);
}

}  // namespace
}  // namespace uringsim::uapi_test
