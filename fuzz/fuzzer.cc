#include "fuzz/fuzzer.h"

#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <set>

#include "fuzz/allowlist.h"
#include "fuzz/minimise.h"
#include "fuzz/rng.h"
#include "traces/jsonl.h"
#include "traces/replay.h"

namespace uringsim::fuzz {
namespace {

uint64_t fnv(uint64_t h, const void* p, size_t n) {
  const auto* b = static_cast<const uint8_t*>(p);
  for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 0x100000001b3ull;
  return h;
}
template <class T>
uint64_t fnv_of(uint64_t h, T v) {
  return fnv(h, &v, sizeof v);
}
uint64_t fnv_cqes(uint64_t h, const std::vector<traces::CqeRecord>& cqes) {
  for (const traces::CqeRecord& c : cqes) {
    h = fnv_of(h, c.user_data);
    h = fnv_of(h, c.res);
    h = fnv_of(h, c.flags);
  }
  return h;
}

bool has(const std::vector<Violation>& v, const std::string& invariant) {
  for (const Violation& x : v) {
    if (x.invariant == invariant) return true;
  }
  return false;
}

}  // namespace

uint64_t digest_trace(const traces::Trace& t, uint64_t h) {
  for (const traces::Event& e : t.events) {
    if (const auto* s = std::get_if<traces::SetupEvent>(&e.body)) {
      h = fnv_of(h, s->ret);
    } else if (const auto* en = std::get_if<traces::EnterEvent>(&e.body)) {
      h = fnv_cqes(fnv_of(h, en->ret), en->cqes);
    } else if (const auto* r = std::get_if<traces::RegisterEvent>(&e.body)) {
      h = fnv_cqes(fnv_of(h, r->ret), r->cqes);
    }
  }
  return h;
}

std::vector<Violation> run_one(const traces::Trace& trace, const Profile* profile, const Doctor& doctor,
                               Observation* out) {
  Observation obs = execute(trace, profile);
  if (doctor) doctor(obs);
  std::vector<Violation> v = check(obs);
  if (out != nullptr) *out = std::move(obs);
  return v;
}

traces::Trace minimise_finding(const traces::Trace& trace, const Profile* profile, const Doctor& doctor,
                               const std::string& invariant) {
  traces::Trace small = minimise(trace, [&](const traces::Trace& candidate) {
    return has(run_one(candidate, profile, doctor), invariant);
  });
  Observation obs = execute(small, profile);  // the model's answers as expectations
  return obs.updated;
}

FuzzReport run_campaign(const FuzzOptions& o) {
  FuzzReport rep;
  rep.digest = 0xcbf29ce484222325ull;
  const Profile* profile = nullptr;
  GeneratorOptions gen;
  gen.keep_in_regions = o.differential;  // Linux's replay has no guard gaps between regions
  if (!o.profile.empty()) {
    profile = find_profile(o.profile);
    if (profile == nullptr) {
      rep.error = "unknown kernel profile '" + o.profile + "'";
      return rep;
    }
    gen.profile = o.profile;
  }
  if (o.differential) {
    std::string why;
    if (!traces::KernelTarget::available(&why)) rep.differential_unavailable = why.empty() ? "io_uring unavailable" : why;
  }
  if (!o.out_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(o.out_dir, ec);
  }
  int written = 0;
  const auto t0 = std::chrono::steady_clock::now();
  auto last_progress = t0;
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  for (uint64_t i = 0;; ++i) {
    if (o.iterations > 0 ? i >= o.iterations : elapsed() >= o.seconds) break;
    const traces::Trace trace = generate(sequence_seed(o.seed, i), gen);
    Observation obs;
    std::vector<Violation> v = run_one(trace, profile, o.doctor, &obs);
    ++rep.sequences;
    rep.sqes += obs.sqes;
    rep.cqes += obs.cqes;
    rep.digest = digest_trace(obs.updated, rep.digest);
    std::set<std::string> reported;
    for (const Violation& x : v) {
      ++rep.violations;
      if (!reported.insert(x.invariant).second) continue;  // one finding per invariant per sequence
      Finding f;
      f.invariant = x.invariant;
      f.sequence = i;
      f.message = x.message;
      f.events_before = trace.events.size();
      f.events_after = f.events_before;  // unless minimised below
      if (written < o.max_findings_written) {
        traces::Trace small = minimise_finding(trace, profile, o.doctor, x.invariant);
        f.events_after = small.events.size();
        small.header.note = "uringsim fuzz --seed " + std::to_string(o.seed) + ": sequence " + std::to_string(i) +
                            " breaks invariant " + x.invariant + ": " + x.message;
        if (!o.out_dir.empty()) {
          f.path = o.out_dir + "/" + x.invariant + "-" + std::to_string(o.seed) + "-" + std::to_string(i) + ".jsonl";
          std::string why;
          if (!traces::write_trace_file(small, f.path, &why)) f.path.clear();
        }
        ++written;
      }
      rep.findings.push_back(std::move(f));
    }
    if (o.differential && rep.differential_unavailable.empty()) {
      traces::KernelTarget linux_target;
      traces::ReplayResult r = traces::replay(obs.updated, linux_target, {});
      if (r.skipped) {
        ++rep.differential_skipped;
      } else {
        std::string first;
        for (const traces::Divergence& d : r.divergences) {
          if (allowed(d.message) != nullptr) {
            ++rep.allowed;
            continue;
          }
          ++rep.mismatches;
          if (first.empty()) first = d.message;
        }
        if (!first.empty()) {
          Finding f;
          f.invariant = "differential";
          f.sequence = i;
          f.message = first;
          f.events_before = f.events_after = obs.updated.events.size();
          if (!o.out_dir.empty() && written < o.max_findings_written) {
            traces::Trace t = without_orphan_closes(obs.updated);
            t.header.note = "uringsim fuzz --differential: sequence " + std::to_string(i) + ": " + first;
            f.path = o.out_dir + "/differential-" + std::to_string(o.seed) + "-" + std::to_string(i) + ".jsonl";
            std::string why;
            if (!traces::write_trace_file(t, f.path, &why)) f.path.clear();
            ++written;
          }
          rep.findings.push_back(std::move(f));
        }
      }
    }
    if (o.progress) {
      const auto now = std::chrono::steady_clock::now();
      if (std::chrono::duration<double>(now - last_progress).count() >= o.progress_every) {
        last_progress = now;
        rep.seconds = elapsed();
        o.progress(rep);
      }
    }
  }
  rep.seconds = elapsed();
  return rep;
}

}  // namespace uringsim::fuzz
