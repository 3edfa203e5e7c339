// Helpers for rows whose work runs in another process (seccomp capture, fio).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "bench/bench.h"

namespace uringsim::bench {

// A client that writes "OPS SECONDS" (its timed loop only) to the fd whose number is
// its last argument: `launch` runs `argv` + that number (returning the exit status and,
// on a failure of its own, a sentence in *error); the result is what the client reported.
using Launcher = std::function<int(const std::vector<std::string>& argv, std::string* error)>;
RowResult run_reporting_client(std::vector<std::string> argv, const Launcher& launch);

// uringsim_bench_client: beside the running uringsim binary, else where this build put it.
std::string bench_client_path();
// uringsim_bench_shim_client (linked with libiouringsim.so), found the same way.
std::string bench_shim_client_path();
// fio on PATH's usual places; "" if not installed.
std::string fio_path();
// Everything in `fd` from offset 0.
std::string read_whole_fd(int fd);
// Runs argv directly (stdin /dev/null, stdout and stderr to `out_fd`); exit status or
// 128 + signal.
int run_program(const std::vector<std::string>& argv, int out_fd);

}  // namespace uringsim::bench
