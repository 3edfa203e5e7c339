#include "kernel_model/memmap.h"

#include <cerrno>
#include <vector>

#include "kernel_model/accounting.h"
#include "kernel_model/kernel.h"

namespace uringsim {

Check check_region_desc(const io_uring_region_desc& rd, const char* what) {
  for (uint32_t i = 0; i < std::size(rd.__resv); ++i) {
    if (rd.__resv[i] != 0)
      return make_fault(EINVAL, "%s: region __resv[%u] is 0x%llx; reserved words must be 0 -> EINVAL", what, i,
                        (unsigned long long)rd.__resv[i]);
  }
  if (rd.flags & ~uint32_t{IORING_MEM_REGION_TYPE_USER})
    return make_fault(EINVAL, "%s: region flags 0x%x has bits other than IORING_MEM_REGION_TYPE_USER -> EINVAL", what,
                      rd.flags);
  const bool user = rd.flags & IORING_MEM_REGION_TYPE_USER;
  if (user != (rd.user_addr != 0)) {
    return make_fault(EFAULT, "%s: user_addr is %s but IORING_MEM_REGION_TYPE_USER is %s; Linux wants an address "
                      "exactly for user memory -> EFAULT", what, rd.user_addr != 0 ? "set" : "0",
                      user ? "set" : "clear");
  }
  if (rd.size == 0 || rd.mmap_offset != 0 || rd.id != 0) {
    return make_fault(EINVAL, "%s: region size %llu, mmap_offset 0x%llx, id %u; size must be non-zero, mmap_offset "
                      "and id 0 -> EINVAL", what, (unsigned long long)rd.size,
                      (unsigned long long)rd.mmap_offset, rd.id);
  }
  if ((rd.size / kPageSize) > 0x7fffffffull)
    return make_fault(E2BIG, "%s: region of %llu bytes is more than INT_MAX pages -> E2BIG", what,
                      (unsigned long long)rd.size);
  if ((rd.user_addr | rd.size) % kPageSize != 0) {
    return make_fault(EINVAL, "%s: region [0x%llx, +%llu) is not page aligned (address and size must be multiples "
                      "of %llu) -> EINVAL", what, (unsigned long long)rd.user_addr, (unsigned long long)rd.size,
                      (unsigned long long)kPageSize);
  }
  if (rd.user_addr + rd.size < rd.user_addr)
    return make_fault(EOVERFLOW, "%s: region 0x%llx + %llu wraps -> EOVERFLOW", what,
                      (unsigned long long)rd.user_addr, (unsigned long long)rd.size);
  return std::nullopt;
}

Check check_region_pinnable(UserMemory& memory, uint64_t user_addr, uint64_t size, const char* what) {
  std::vector<Vma> vmas;
  if (!memory.vmas(user_addr, size, vmas)) {
    return make_fault(EFAULT, "%s: [0x%llx, +%llu) is not all mapped; io_pin_pages cannot pin it -> EFAULT", what,
                      (unsigned long long)user_addr, (unsigned long long)size);
  }
  for (const Vma& v : vmas) {
    if (!v.writable) {
      return make_fault(EFAULT, "%s: [0x%llx, 0x%llx) is not writable; io_pin_pages pins with FOLL_WRITE -> EFAULT",
                        what, (unsigned long long)v.start, (unsigned long long)v.end);
    }
    if (v.backing == Backing::kSharedFile || v.backing == Backing::kSpecial) {
      return make_fault(EFAULT, "%s: [0x%llx, 0x%llx) is %s memory, which Linux refuses to pin long-term -> EFAULT",
                        what, (unsigned long long)v.start, (unsigned long long)v.end, backing_name(v.backing));
    }
  }
  return std::nullopt;
}

Check adopt_user_rings(RingMemoryProvider& provider, UserMemory& memory, const Credentials& client, uint32_t ring,
                       const RingLayout& layout, uint64_t rings_addr, uint64_t sqes_addr, const char* what,
                       RingMemory& out) {
  io_uring_region_desc rd{};
  rd.user_addr = rings_addr;
  rd.size = layout.sq_ring_bytes;  // the rings region, already page aligned
  rd.flags = IORING_MEM_REGION_TYPE_USER;
  if (Check c = check_region_desc(rd, what)) return c;
  if (Check c = check_region_pinnable(memory, rings_addr, rd.size, what)) return c;
  rd.user_addr = sqes_addr;
  rd.size = layout.sqes_bytes;
  if (Check c = check_region_desc(rd, what)) return c;
  if (Check c = check_region_pinnable(memory, sqes_addr, rd.size, what)) return c;
  std::string why;
  if (!provider.adopt_user(ring, layout, client, rings_addr, sqes_addr, out, &why)) {
    return make_fault(EINVAL, "%s: IORING_SETUP_NO_MMAP rings at 0x%llx / SQEs at 0x%llx are not simulated here: %s",
                      what, (unsigned long long)rings_addr, (unsigned long long)sqes_addr, why.c_str());
  }
  out.user_provided = true;
  out.rings_user_addr = rings_addr;
  out.sqes_user_addr = sqes_addr;
  return std::nullopt;
}

}  // namespace uringsim
