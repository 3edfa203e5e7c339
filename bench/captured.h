// Helpers for rows whose work runs in another process (seccomp capture, fio).
#pragma once

#include <string>
#include <vector>

namespace uringsim::bench {

// uringsim_bench_client: beside the running uringsim binary, else where this build put it.
std::string bench_client_path();
// fio on PATH's usual places; "" if not installed.
std::string fio_path();
// Everything in `fd` from offset 0.
std::string read_whole_fd(int fd);
// Runs argv directly (stdin /dev/null, stdout and stderr to `out_fd`); exit status or
// 128 + signal.
int run_program(const std::vector<std::string>& argv, int out_fd);

}  // namespace uringsim::bench
