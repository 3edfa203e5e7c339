// Rows fio/linux and fio/seccomp: fio 4 KiB random reads with --ioengine=io_uring
// --fixedbufs on a 64 MiB file in /dev/shm, queue depth 32, `ops` reads. The row's batch
// is what it is in every suite, SQEs per io_uring_enter: --iodepth_batch_submit and
// --iodepth_batch_complete_min (batch 1 is fio's default behaviour: one enter per I/O).
// The same fio command runs directly on Linux and under seccomp capture (this process
// answers its io_uring syscalls, as `uringsim run -- fio ...`). fio's own JSON gives
// the number of reads and the IOPS of the job (its layout of the file is not timed).
#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/captured.h"
#include "bench/rows.h"
#include "sim/capture.h"

namespace uringsim::bench {

namespace {

RowResult fio_randread(const RowParams& p, bool captured) {
  RowResult r;
  const std::string fio = fio_path();
  if (fio.empty()) {
    r.error = "fio is not installed (scripts/install-deps.sh installs it)";
    return r;
  }
  const std::string data = "/dev/shm/fio-bench-randread." + std::to_string(getpid());
  char json_path[] = "/tmp/uringsim-bench-fio-XXXXXX";
  const int json_fd = mkstemp(json_path);
  if (json_fd < 0) {
    r.error = "mkstemp failed";
    return r;
  }
  const std::vector<std::string> argv = {
      fio,
      "--name=randread",
      "--ioengine=io_uring",
      "--filename=" + data,
      "--size=64M",
      "--rw=randread",
      "--bs=4k",
      "--iodepth=" + std::to_string(p.batch > 32 ? p.batch : 32),
      "--iodepth_batch_submit=" + std::to_string(p.batch),
      "--iodepth_batch_complete_min=" + std::to_string(p.batch),
      "--fixedbufs",
      "--io_size=" + std::to_string(p.ops * 4096),
      "--output-format=json",
      std::string("--output=") + json_path};
  int status;
  std::string error;
  if (captured) {
    sim::RunOptions o;
    o.argv = argv;
    status = sim::run_captured(o, &error);
  } else {
    const int sink = open("/dev/null", O_WRONLY | O_CLOEXEC);
    status = run_program(argv, sink);
    close(sink);
  }
  const std::string text = read_whole_fd(json_fd);
  close(json_fd);
  unlink(json_path);
  unlink(data.c_str());
  if (status != 0) {
    r.error = !error.empty() ? error : "fio exited with status " + std::to_string(status);
    return r;
  }
  const size_t brace = text.find('{');
  nlohmann::json doc = nlohmann::json::parse(brace == std::string::npos ? "" : text.substr(brace),
                                             nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.contains("jobs") || doc["jobs"].empty()) {
    r.error = "fio wrote no JSON report";
    return r;
  }
  const nlohmann::json& job = doc["jobs"][0];
  const uint64_t ios = job["read"].value("total_ios", uint64_t{0});
  const double iops = job["read"].value("iops", 0.0);
  if (job.value("error", -1) != 0 || ios == 0 || iops <= 0) {
    r.error = "fio job failed: error " + std::to_string(job.value("error", -1));
    return r;
  }
  r.ok = true;
  r.ops = ios;
  r.seconds = static_cast<double>(ios) / iops;
  return r;
}

}  // namespace

RowResult fio_linux(const RowParams& p) { return fio_randread(p, /*captured=*/false); }
RowResult fio_seccomp(const RowParams& p) { return fio_randread(p, /*captured=*/true); }

}  // namespace uringsim::bench
