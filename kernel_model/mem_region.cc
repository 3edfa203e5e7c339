#include "kernel_model/mem_region.h"

#include <cerrno>
#include <cstring>
#include <string>

#include "kernel_model/context.h"
#include "kernel_model/kernel.h"
#include "kernel_model/memmap.h"

namespace uringsim {

namespace {

constexpr const char* kWhat = "REGISTER_MEM_REGION";

}  // namespace

int64_t register_mem_region(Context& ctx, uint64_t arg) {
  ParamRegion& region = ctx.param_region;
  if (region.set) {
    return ctx.reject(make_fault(EBUSY, "REGISTER_MEM_REGION: the ring already has its region [0x%llx, +%llu); there is "
                                "one per ring -> EBUSY", (unsigned long long)region.user_addr,
                                (unsigned long long)region.size));
  }
  io_uring_mem_region_reg reg;
  if (!ctx.memory().read(arg, &reg, sizeof reg)) {
    return ctx.reject(make_fault(EFAULT, "REGISTER_MEM_REGION: struct io_uring_mem_region_reg at 0x%llx is not "
                                "readable -> EFAULT", (unsigned long long)arg));
  }
  io_uring_region_desc rd;
  if (!ctx.memory().read(reg.region_uptr, &rd, sizeof rd)) {
    return ctx.reject(make_fault(EFAULT, "REGISTER_MEM_REGION: region_uptr 0x%llx (struct io_uring_region_desc) is not "
                                "readable -> EFAULT", (unsigned long long)reg.region_uptr));
  }
  for (uint32_t i = 0; i < std::size(reg.__resv); ++i) {
    if (reg.__resv[i] != 0) {
      return ctx.reject(make_fault(EINVAL, "REGISTER_MEM_REGION: __resv[%u] is 0x%llx; reserved words must be 0 -> EINVAL",
                                  i, (unsigned long long)reg.__resv[i]));
    }
  }
  if (reg.flags & ~uint64_t{IORING_MEM_REGION_REG_WAIT_ARG}) {
    return ctx.reject(make_fault(EINVAL, "REGISTER_MEM_REGION: flags 0x%llx has bits other than "
                                "IORING_MEM_REGION_REG_WAIT_ARG -> EINVAL", (unsigned long long)reg.flags));
  }
  const bool wait_arg = reg.flags & IORING_MEM_REGION_REG_WAIT_ARG;
  // Linux wants no waiter that could race with the region appearing.
  if (wait_arg && !ctx.disabled()) {
    return ctx.reject(make_fault(EINVAL, "REGISTER_MEM_REGION: REG_WAIT_ARG needs a ring still disabled "
                                "(IORING_SETUP_R_DISABLED, before ENABLE_RINGS) -> EINVAL"));
  }
  if (Check c = check_region_desc(rd, kWhat)) return ctx.reject(std::move(*c));
  const Credentials& creator = ctx.creator();
  const uint64_t pages = ctx.charges_memlock() ? rd.size / kPageSize : 0;
  if (Check c = ctx.accounting().charge_locked(creator.uid, pages, ctx.caller().creds.memlock_limit, "REGISTER_MEM_REGION"))
    return ctx.reject(std::move(*c));
  RingMemoryProvider& provider = ctx.kernel().ring_memory();
  std::byte* kernel_memory = nullptr;
  if (rd.flags & IORING_MEM_REGION_TYPE_USER) {
    if (Check c = check_region_pinnable(ctx.memory(), rd.user_addr, rd.size, kWhat)) {
      ctx.accounting().uncharge_locked(creator.uid, pages);
      return ctx.reject(std::move(*c));
    }
  } else {
    // io_region_allocate_pages: zeroed pages, and the offset the client maps them at.
    std::string not_simulated;
    kernel_memory = provider.allocate_param_region(ctx.id(), rd.size, &not_simulated);
    if (kernel_memory == nullptr) {
      ctx.accounting().uncharge_locked(creator.uid, pages);
      return ctx.reject(not_simulated.empty()
                           ? make_fault(ENOMEM, "REGISTER_MEM_REGION: could not allocate %llu bytes -> ENOMEM",
                                        (unsigned long long)rd.size)
                           : make_fault(EINVAL, "REGISTER_MEM_REGION: a kernel-allocated region is not simulated "
                                        "here: %s -> EINVAL", not_simulated.c_str()));
    }
    rd.mmap_offset = kParamRegionMmapOffset;
  }
  if (!ctx.memory().write(reg.region_uptr, &rd, sizeof rd)) {
    ctx.accounting().uncharge_locked(creator.uid, pages);
    if (kernel_memory != nullptr) provider.release_param_region(ctx.id(), kernel_memory, rd.size);
    return ctx.reject(make_fault(EFAULT, "REGISTER_MEM_REGION: region_uptr 0x%llx is not writable -> EFAULT",
                                (unsigned long long)reg.region_uptr));
  }
  region.set = true;
  region.kernel = kernel_memory;
  region.user_addr = rd.user_addr;
  region.size = rd.size;
  region.acct_pages = pages;
  region.wait_size = wait_arg ? rd.size : 0;
  return 0;
}

Check read_reg_wait(Context& ctx, uint64_t offset, uint64_t argsz, io_uring_reg_wait* out) {
  if (argsz != sizeof(io_uring_reg_wait)) {
    return make_fault(EINVAL, "io_uring_enter: EXT_ARG_REG argsz %llu, Linux wants sizeof(io_uring_reg_wait) = %zu",
                      (unsigned long long)argsz, sizeof(io_uring_reg_wait));
  }
  const ParamRegion& region = ctx.param_region;
  if (offset % sizeof(long) != 0) {
    return make_fault(EFAULT, "io_uring_enter: EXT_ARG_REG offset %llu is not a multiple of 8 -> EFAULT",
                      (unsigned long long)offset);
  }
  if (offset + sizeof(io_uring_reg_wait) < offset || offset + sizeof(io_uring_reg_wait) > region.wait_size) {
    return make_fault(EFAULT, "io_uring_enter: EXT_ARG_REG slot [%llu, +%zu) is not inside the %llu-byte wait region%s "
                      "-> EFAULT", (unsigned long long)offset, sizeof(io_uring_reg_wait),
                      (unsigned long long)region.wait_size,
                      region.wait_size == 0 ? " (none registered with IORING_MEM_REGION_REG_WAIT_ARG)" : "");
  }
  if (region.kernel != nullptr) {
    std::memcpy(out, region.kernel + offset, sizeof *out);
  } else if (!ctx.memory().read(region.user_addr + offset, out, sizeof *out)) {
    return make_fault(EFAULT, "io_uring_enter: EXT_ARG_REG slot at 0x%llx is no longer mapped; Linux would still read "
                      "the pages it pinned at registration (not simulated) -> EFAULT",
                      (unsigned long long)(region.user_addr + offset));
  }
  if (out->flags & ~uint32_t{IORING_REG_WAIT_TS}) {
    return make_fault(EINVAL, "io_uring_enter: io_uring_reg_wait.flags 0x%x at offset %llu has bits other than "
                      "IORING_REG_WAIT_TS -> EINVAL", out->flags, (unsigned long long)offset);
  }
  return std::nullopt;
}

void release_mem_region(Context& ctx) {
  ParamRegion& region = ctx.param_region;
  if (region.set) ctx.accounting().uncharge_locked(ctx.creator().uid, region.acct_pages);
  if (region.kernel != nullptr) ctx.kernel().ring_memory().release_param_region(ctx.id(), region.kernel, region.size);
  region = ParamRegion{};
}

}  // namespace uringsim
