// IORING_REGISTER_MEM_REGION (6.13; io_uring/register.c io_register_mem_region) and
// the registered wait arguments it enables: with IORING_MEM_REGION_REG_WAIT_ARG the
// region holds struct io_uring_reg_wait slots, and io_uring_enter with
// IORING_ENTER_EXT_ARG | IORING_ENTER_EXT_ARG_REG passes a byte offset into it instead
// of a pointer to struct io_uring_getevents_arg (io_get_ext_arg_reg).
//
// Both kinds of region are simulated. A user-memory region (IORING_MEM_REGION_TYPE_USER,
// what liburing's io_uring_setup_reg_wait uses) is read through the caller's
// UserMemory at each enter, where Linux reads the pinned pages through its own
// mapping: the same bytes while the client keeps the memory mapped. A kernel-allocated
// region comes from the host's RingMemoryProvider and is mapped by the client at
// kParamRegionMmapOffset of the ring fd.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernel_model/fault.h"
#include "uapi/io_uring.h"

namespace uringsim {

class Context;

// Where the client maps a kernel-allocated region: Linux's IORING_MAP_OFF_PARAM_REGION
// (io_uring/memmap.h, not uapi), written back in io_uring_region_desc.mmap_offset.
inline constexpr uint64_t kParamRegionMmapOffset = 0x20000000ull;

// The ring's one parameter region (ctx->param_region), 0/false while none.
struct ParamRegion {
  bool set = false;
  uint64_t user_addr = 0;        // a user-memory region
  std::byte* kernel = nullptr;   // a kernel-allocated region (provider memory)
  uint64_t size = 0;
  uint64_t acct_pages = 0;  // charged to the creator's locked_vm (returned at teardown)
  // IORING_MEM_REGION_REG_WAIT_ARG: ctx->cq_wait_arg / cq_wait_size.
  uint64_t wait_size = 0;
};

// REQUIRES: arg != 0 and nr_args == 1 (the dispatch checks, -EINVAL otherwise).
int64_t register_mem_region(Context& ctx, uint64_t arg);

// io_get_ext_arg's EXT_ARG_REG branch: `offset` is the enter's arg, `argsz` its size.
// -EINVAL unless argsz == sizeof(io_uring_reg_wait); -EFAULT for an offset that is not
// 8-byte aligned or whose slot does not end inside the wait region (any offset when
// there is none); -EINVAL for slot flags other than IORING_REG_WAIT_TS.
Check read_reg_wait(Context& ctx, uint64_t offset, uint64_t argsz, io_uring_reg_wait* out);

// Returns the region's memlock charge (ring teardown).
void release_mem_region(Context& ctx);

}  // namespace uringsim
