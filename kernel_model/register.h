// io_uring_register: the opcode names (the dispatch itself is Context::do_register,
// in register.cc).
#pragma once

#include <cstdint>

namespace uringsim {

// "REGISTER_BUFFERS" for IORING_REGISTER_BUFFERS (no IORING_ prefix); nullptr for
// numbers at or past 6.18's IORING_REGISTER_LAST.
const char* register_op_name(uint32_t opcode);

}  // namespace uringsim
