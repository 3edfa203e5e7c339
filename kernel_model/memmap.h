// Memory regions a client hands to io_uring (io_uring/memmap.c, io_create_region):
// the rings and SQEs of an IORING_SETUP_NO_MMAP ring and IORING_REGISTER_MEM_REGION's
// region. One place for the checks, in Linux's order, so setup, resize and
// MEM_REGION give the same errno for the same bad region.
#pragma once

#include <cstdint>

#include "kernel_model/fault.h"
#include "kernel_model/user_memory.h"
#include "uapi/io_uring.h"

namespace uringsim {

struct Credentials;
struct RingLayout;
struct RingMemory;
class RingMemoryProvider;

// io_create_region's checks of a struct io_uring_region_desc, before any page is
// touched: reserved words (-EINVAL), unknown flags (-EINVAL), user_addr set exactly
// when IORING_MEM_REGION_TYPE_USER is (-EFAULT), a size, no mmap_offset and no id
// (-EINVAL), page alignment of user_addr and size (-EINVAL), no wrap (-EOVERFLOW).
// `what` names the caller in the reason ("io_uring_setup (NO_MMAP rings)").
Check check_region_desc(const io_uring_region_desc& rd, const char* what);

// io_pin_pages(user_addr, size) with FOLL_WRITE | FOLL_LONGTERM: every page mapped
// and writable, and long-term pinnable (not a shared mapping of a disk file, not a
// special mapping). Any failure is -EFAULT, as Linux reports a short pin.
// REQUIRES: check_region_desc passed (size > 0, no wrap).
Check check_region_pinnable(UserMemory& memory, uint64_t user_addr, uint64_t size, const char* what);

// The rings and SQEs of an IORING_SETUP_NO_MMAP ring (setup or RESIZE_RINGS), as
// io_allocate_scq_urings creates them: the rings region at `rings_addr`
// (cq_off.user_addr), PAGE_ALIGN(rings bytes) long, then the SQE array at `sqes_addr`
// (sq_off.user_addr); each checked as a TYPE_USER region, then handed to the host's
// provider for a view. A host that cannot give one answers -EINVAL "not simulated".
Check adopt_user_rings(RingMemoryProvider& provider, UserMemory& memory, const Credentials& client, uint32_t ring,
                       const RingLayout& layout, uint64_t rings_addr, uint64_t sqes_addr, const char* what,
                       RingMemory& out);

}  // namespace uringsim
