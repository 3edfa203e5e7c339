// The table of benchmark rows. Add a row: one line here, its function in rows.h.
#include "bench/rows.h"

namespace uringsim::bench {

const std::vector<Row>& all_rows() {
  static const std::vector<Row> rows = {
      {"nop", "linux", "Linux io_uring via liburing (submit_and_wait, cq_advance)", true,
       nop_linux},
      {"nop", "embedded",
       "sim::EmbeddedKernel in-process: memfd rings mmapped, SQEs written by hand", false,
       nop_embedded},
  };
  return rows;
}

}  // namespace uringsim::bench
