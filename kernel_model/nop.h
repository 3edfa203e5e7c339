// IORING_OP_NOP: does nothing, with 6.18's test knobs (nop_flags).
#pragma once
#include <cstdint>
namespace uringsim {
class Context;
struct Request;
int io_nop_prep(Context& ctx, Request& req);
int32_t io_nop(Context& ctx, Request& req);
}  // namespace uringsim
