// uringsim layout: what io_uring_setup would return for given params, and where
// everything lives in the mapped ring memory.
//
// The answer comes from the model itself: the params go through Kernel::setup on an
// embedded kernel (same validation, rounding and clamping as the simulated syscall),
// and the region sizes from RingLayout::compute for the values it returned.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kernel_model/fault.h"
#include "kernel_model/profile.h"
#include "kernel_model/ring.h"
#include "sim/embedded.h"
#include "tools/commands.h"

namespace uringsim::tools {

namespace {

struct FlagName {
  const char* name;
  uint32_t bit;
};

constexpr FlagName kSetupFlags[] = {
    {"iopoll", IORING_SETUP_IOPOLL},
    {"sqpoll", IORING_SETUP_SQPOLL},
    {"sq_aff", IORING_SETUP_SQ_AFF},
    {"cqsize", IORING_SETUP_CQSIZE},
    {"clamp", IORING_SETUP_CLAMP},
    {"attach_wq", IORING_SETUP_ATTACH_WQ},
    {"r_disabled", IORING_SETUP_R_DISABLED},
    {"submit_all", IORING_SETUP_SUBMIT_ALL},
    {"coop_taskrun", IORING_SETUP_COOP_TASKRUN},
    {"taskrun_flag", IORING_SETUP_TASKRUN_FLAG},
    {"sqe128", IORING_SETUP_SQE128},
    {"cqe32", IORING_SETUP_CQE32},
    {"single_issuer", IORING_SETUP_SINGLE_ISSUER},
    {"defer_taskrun", IORING_SETUP_DEFER_TASKRUN},
    {"no_mmap", IORING_SETUP_NO_MMAP},
    {"registered_fd_only", IORING_SETUP_REGISTERED_FD_ONLY},
    {"no_sqarray", IORING_SETUP_NO_SQARRAY},
    {"hybrid_iopoll", IORING_SETUP_HYBRID_IOPOLL},
    {"cqe_mixed", IORING_SETUP_CQE_MIXED},
};

// "cqe32,sqe128" or "0x800" -> bits. Returns false with *bad set on an unknown name.
bool parse_flags(const std::vector<std::string>& names, uint32_t* out, std::string* bad) {
  *out = 0;
  for (std::string n : names) {
    for (char& c : n) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
    if (n.rfind("ioring_setup_", 0) == 0) n = n.substr(13);
    if (n.empty()) continue;
    bool found = false;
    for (const FlagName& f : kSetupFlags) {
      if (n == f.name) {
        *out |= f.bit;
        found = true;
      }
    }
    if (!found) {
      char* end = nullptr;
      errno = 0;
      unsigned long v = strtoul(n.c_str(), &end, 0);
      if (errno || !end || *end || v > 0xffffffffUL) {
        *bad = n;
        return false;
      }
      *out |= static_cast<uint32_t>(v);
    }
  }
  return true;
}

std::string flag_names(uint32_t bits) {
  std::string s;
  for (const FlagName& f : kSetupFlags) {
    if (bits & f.bit) {
      s += s.empty() ? "" : "|";
      s += f.name;
      bits &= ~f.bit;
    }
  }
  if (bits) {
    char buf[32];
    snprintf(buf, sizeof buf, "%s0x%x", s.empty() ? "" : "|", bits);
    s += buf;
  }
  return s.empty() ? "0" : s;
}

struct Word {
  uint32_t off;
  uint32_t bytes;
  std::string what;
};

std::string page_count(size_t bytes) {
  size_t pages = (bytes + 4095) / 4096;
  return std::to_string(pages) + (pages == 1 ? " page" : " pages");
}

// A small memory map of one region: its words and arrays in offset order.
void print_region(const char* title, uint64_t mmap_off, size_t bytes, std::vector<Word> words,
                  const char* note) {
  std::printf("%-18s 0x%08llx  %zu bytes (%s)%s\n", title,
              static_cast<unsigned long long>(mmap_off), bytes, page_count(bytes).c_str(), note);
  std::sort(words.begin(), words.end(), [](const Word& a, const Word& b) { return a.off < b.off; });
  uint32_t prev_end = 0;
  for (const Word& w : words) {
    if (w.off > prev_end) std::printf("    0x%06x  (%u bytes unused)\n", prev_end, w.off - prev_end);
    std::printf("    0x%06x  %s\n", w.off, w.what.c_str());
    if (w.off + w.bytes > prev_end) prev_end = w.off + w.bytes;
  }
  size_t aligned = (bytes + 4095) / 4096 * 4096;
  if (prev_end < aligned) {
    std::printf("    0x%06x  (%zu bytes to the page end)\n", prev_end, aligned - prev_end);
  }
}

}  // namespace

void add_layout_command(CLI::App& app, int* exit_code) {
  std::string profiles;
  for (const Profile& p : all_profiles()) {
    if (!profiles.empty()) profiles += ", ";
    profiles += std::string(p.name);
  }
  std::string names;
  for (const FlagName& f : kSetupFlags) names += std::string(names.empty() ? "" : ",") + f.name;
  auto* cmd = app.add_subcommand(
      "layout", "Print what io_uring_setup returns (entries, sq_off/cq_off) and the ring memory map");
  struct Args {
    uint32_t entries = 0;
    uint32_t cq_entries = 0;
    std::vector<std::string> flags;
    std::string kernel = std::string(default_profile().name);
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("--entries", args->entries, "SQ entries asked for (io_uring_setup's entries)")
      ->required();
  auto* cq_opt = cmd->add_option("--cq-entries", args->cq_entries,
                                 "CQ entries asked for (implies IORING_SETUP_CQSIZE)");
  cmd->add_option("--flags", args->flags, "Setup flags, comma separated: " + names +
                                              " (or numbers)")
      ->delimiter(',');
  cmd->add_option("--kernel", args->kernel, "Kernel profile: " + profiles)->capture_default_str();
  cmd->add_flag("--json", args->json, "Print JSON");
  cmd->footer("Exit status 2 when setup would fail (the reason is printed) or on bad arguments.");
  cmd->callback([args, cq_opt, exit_code]() {
    const Profile* profile = find_profile(args->kernel);
    if (!profile) {
      std::fprintf(stderr, "uringsim layout: unknown kernel profile '%s'\n", args->kernel.c_str());
      *exit_code = 2;
      return;
    }
    uint32_t flags = 0;
    std::string bad;
    if (!parse_flags(args->flags, &flags, &bad)) {
      std::fprintf(stderr, "uringsim layout: unknown setup flag '%s'\n", bad.c_str());
      *exit_code = 2;
      return;
    }
    io_uring_params p{};
    p.flags = flags;
    if (cq_opt->count() > 0) {
      p.flags |= IORING_SETUP_CQSIZE;
      p.cq_entries = args->cq_entries;
    }
    sim::EmbeddedKernel kernel(*profile);
    int fd = kernel.setup(args->entries, &p);
    if (fd < 0) {
      const Fault& f = kernel.last_fault();
      const char* en = errno_name(-fd);
      if (args->json) {
        nlohmann::json j;
        j["error"] = {{"errno", -fd}, {"name", en ? en : ""}, {"reason", f.reason}};
        std::printf("%s\n", j.dump(2).c_str());
      } else {
        std::printf("io_uring_setup(%u, flags %s) fails: %s: %s\n", args->entries,
                    flag_names(p.flags).c_str(), describe_result(fd).c_str(), f.reason.c_str());
      }
      *exit_code = 2;
      return;
    }
    kernel.close(fd);
    const RingLayout l = RingLayout::compute(*profile, p.sq_entries, p.cq_entries, p.flags);
    const bool single = l.single_mmap();
    const size_t cq_bytes = single ? l.sq_ring_bytes : l.cq_ring_bytes;

    if (args->json) {
      nlohmann::json j;
      j["kernel"] = std::string(profile->name);
      j["entries"] = args->entries;
      j["flags"] = p.flags;
      j["sq_entries"] = p.sq_entries;
      j["cq_entries"] = p.cq_entries;
      j["features"] = p.features;
      j["sq_off"] = {{"head", p.sq_off.head},     {"tail", p.sq_off.tail},
                     {"ring_mask", p.sq_off.ring_mask}, {"ring_entries", p.sq_off.ring_entries},
                     {"flags", p.sq_off.flags},   {"dropped", p.sq_off.dropped},
                     {"array", p.sq_off.array},   {"resv1", p.sq_off.resv1},
                     {"user_addr", p.sq_off.user_addr}};
      j["cq_off"] = {{"head", p.cq_off.head},     {"tail", p.cq_off.tail},
                     {"ring_mask", p.cq_off.ring_mask}, {"ring_entries", p.cq_off.ring_entries},
                     {"overflow", p.cq_off.overflow}, {"cqes", p.cq_off.cqes},
                     {"flags", p.cq_off.flags},   {"resv1", p.cq_off.resv1},
                     {"user_addr", p.cq_off.user_addr}};
      nlohmann::json regions = nlohmann::json::array();
      regions.push_back({{"name", "sq_ring"}, {"mmap_offset", IORING_OFF_SQ_RING},
                         {"bytes", l.sq_ring_bytes}});
      nlohmann::json cq = {{"name", "cq_ring"}, {"mmap_offset", IORING_OFF_CQ_RING},
                           {"bytes", cq_bytes}};
      if (single) cq["same_pages_as"] = "sq_ring";
      regions.push_back(cq);
      regions.push_back({{"name", "sqes"}, {"mmap_offset", IORING_OFF_SQES},
                         {"bytes", l.sqes_bytes}, {"sqe_size", l.sqe_size}});
      j["regions"] = regions;
      j["cqe_size"] = l.cqe_size;
      j["ring_pages_charged_to_memlock"] = profile->charges_ring_memory ? l.pages() : 0;
      std::printf("%s\n", j.dump(2).c_str());
      *exit_code = 0;
      return;
    }

    std::printf("Linux %s: io_uring_setup(%u, flags %s)\n", std::string(profile->name).c_str(),
                args->entries, flag_names(p.flags).c_str());
    std::printf("  sq_entries %u, cq_entries %u, features 0x%x\n", p.sq_entries, p.cq_entries,
                p.features);
    std::printf("  sq_off: head %u tail %u ring_mask %u ring_entries %u flags %u dropped %u "
                "array %u resv1 %u user_addr %llu\n",
                p.sq_off.head, p.sq_off.tail, p.sq_off.ring_mask, p.sq_off.ring_entries,
                p.sq_off.flags, p.sq_off.dropped, p.sq_off.array, p.sq_off.resv1,
                static_cast<unsigned long long>(p.sq_off.user_addr));
    std::printf("  cq_off: head %u tail %u ring_mask %u ring_entries %u overflow %u cqes %u "
                "flags %u resv1 %u user_addr %llu\n\n",
                p.cq_off.head, p.cq_off.tail, p.cq_off.ring_mask, p.cq_off.ring_entries,
                p.cq_off.overflow, p.cq_off.cqes, p.cq_off.flags, p.cq_off.resv1,
                static_cast<unsigned long long>(p.cq_off.user_addr));

    auto u32 = [](uint32_t off, const char* what) { return Word{off, 4, what}; };
    std::vector<Word> sq = {
        u32(p.sq_off.head, "u32 SQ head        (sq_off.head; kernel writes)"),
        u32(p.sq_off.tail, "u32 SQ tail        (sq_off.tail; application writes)"),
        u32(p.sq_off.ring_mask, "u32 SQ ring mask   (sq_off.ring_mask)"),
        u32(p.sq_off.ring_entries, "u32 SQ entries     (sq_off.ring_entries)"),
        u32(p.sq_off.flags, "u32 SQ flags       (sq_off.flags; IORING_SQ_*)"),
        u32(p.sq_off.dropped, "u32 SQ dropped     (sq_off.dropped)"),
    };
    if (!(p.flags & IORING_SETUP_NO_SQARRAY)) {
      sq.push_back({p.sq_off.array, 4 * p.sq_entries,
                    "u32[" + std::to_string(p.sq_entries) + "] SQ index array (sq_off.array)"});
    }
    std::vector<Word> cqw = {
        u32(p.cq_off.head, "u32 CQ head        (cq_off.head; application writes)"),
        u32(p.cq_off.tail, "u32 CQ tail        (cq_off.tail; kernel writes)"),
        u32(p.cq_off.ring_mask, "u32 CQ ring mask   (cq_off.ring_mask)"),
        u32(p.cq_off.ring_entries, "u32 CQ entries     (cq_off.ring_entries)"),
        u32(p.cq_off.overflow, "u32 CQ overflow    (cq_off.overflow)"),
        {p.cq_off.cqes, static_cast<uint32_t>(l.cqe_size * p.cq_entries),
         "io_uring_cqe[" + std::to_string(p.cq_entries) + "] x " + std::to_string(l.cqe_size) +
             " B (cq_off.cqes)"},
    };
    if (p.cq_off.flags || profile->ring_layout == RingLayoutKind::kPacked) {
      cqw.push_back(u32(p.cq_off.flags, "u32 CQ flags       (cq_off.flags; IORING_CQ_*)"));
    }
    std::printf("memory map (mmap offset on the ring fd, size):\n");
    if (single) {
      sq.insert(sq.end(), cqw.begin(), cqw.end());
      print_region("IORING_OFF_SQ_RING", IORING_OFF_SQ_RING, l.sq_ring_bytes, sq,
                   "; rings: SQ and CQ words, CQEs, SQ array");
      std::printf("%-18s 0x%08llx  the same pages as IORING_OFF_SQ_RING "
                  "(IORING_FEAT_SINGLE_MMAP)\n",
                  "IORING_OFF_CQ_RING", static_cast<unsigned long long>(IORING_OFF_CQ_RING));
    } else {
      print_region("IORING_OFF_SQ_RING", IORING_OFF_SQ_RING, l.sq_ring_bytes, sq, "; SQ ring");
      print_region("IORING_OFF_CQ_RING", IORING_OFF_CQ_RING, l.cq_ring_bytes, cqw, "; CQ ring");
    }
    std::printf("%-18s 0x%08llx  %zu bytes (%s): %u SQEs x %zu B\n", "IORING_OFF_SQES",
                static_cast<unsigned long long>(IORING_OFF_SQES), l.sqes_bytes,
                page_count(l.sqes_bytes).c_str(), p.sq_entries, l.sqe_size);
    if (profile->charges_ring_memory) {
      std::printf("\nring memory charged to RLIMIT_MEMLOCK without CAP_IPC_LOCK: %s\n",
                  page_count(l.pages() * 4096).c_str());
    }
    *exit_code = 0;
  });
}

}  // namespace uringsim::tools
