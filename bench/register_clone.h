// `uringsim bench register-clone`: the seed scenario of 7cc2a6eadc on the simulator.
//
// Registers 500 and then 900 buffers of 1 GiB hugetlb pages (declared, never touched:
// traces::SyntheticMemory, so it runs on a machine with far less than 900 GiB), and
// clones the 900-buffer table into a second ring. For each call it reports two clocks:
// the cost model's estimate of what Linux would have spent (kernel_model/cost.h), and
// the simulator's own wall time for the same call. A scaling check shows the
// simulator's clone is O(buffers), not O(pages): cloning 900 x 4 KiB and 900 x 1 GiB
// buffers takes about as long, and 100 buffers about a ninth of 900.
#pragma once

#include <cstdint>
#include <string>

#include "kernel_model/cost.h"

namespace uringsim::bench {

struct RegisterCloneOptions {
  int repetitions = 5;     // wall times are the median over these
  CostModel cost;          // the model's coefficients (defaults: the seed calibration)
};

struct RegisterCloneReport {
  bool ok = false;
  std::string error;
  // The cost model: what the kernel would have spent.
  double register_500_model_ms = 0;
  double register_900_model_ms = 0;
  double clone_900_model_us = 0;
  double unregister_900_model_ms = 0;  // the last reference going (unpin + uncharge)
  double register_to_clone_ratio = 0;  // register_900 / clone_900, model time
  // The simulator itself, median wall time of the same calls.
  double register_500_sim_us = 0;
  double register_900_sim_us = 0;
  double clone_900_sim_us = 0;
  // Scaling of the simulator's clone (median wall time).
  double clone_100_1g_sim_us = 0;
  double clone_900_4k_sim_us = 0;
  double clone_900_1g_sim_us = 0;
  bool clone_is_o_buffers = false;  // 900 x 1 GiB within 4x of 900 x 4 KiB
};

RegisterCloneReport run_register_clone(const RegisterCloneOptions& options);
// One JSON object (keys as the fields above).
std::string register_clone_json(const RegisterCloneReport& report);

}  // namespace uringsim::bench
