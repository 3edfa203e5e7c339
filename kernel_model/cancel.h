// ASYNC_CANCEL: cancel parked requests by user_data, fd, opcode, any or all
// (io_uring/cancel.c).
#pragma once
#include <cstdint>
#include <memory>

#include "kernel_model/files.h"

namespace uringsim {
class Context;
struct Request;
int io_async_cancel_prep(Context& ctx, Request& req);
int32_t io_async_cancel(Context& ctx, Request& req);

// What a cancellation looks for (io_cancel_data): IORING_ASYNC_CANCEL_* flags, the
// user_data, the opcode (CANCEL_OP) and the file (CANCEL_FD, already resolved).
struct CancelData {
  uint64_t data = 0;
  uint32_t flags = 0;
  uint8_t opcode = 0;
  std::shared_ptr<File> file;
};
// Cancels the parked requests that match `cd` (io_cancel_req_match), except request
// `self` (-1: none): the first one, or all with CANCEL_ALL / CANCEL_ANY. Returns the
// number cancelled with ALL/ANY, else 0, or -ENOENT when nothing matched. Their
// -ECANCELED CQEs are posted from task work. Shared by ASYNC_CANCEL and
// IORING_REGISTER_SYNC_CANCEL.
int32_t cancel_parked_matching(Context& ctx, const CancelData& cd, int32_t self);
}  // namespace uringsim
