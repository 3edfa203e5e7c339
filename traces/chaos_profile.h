// Chaos profiles: the JSON form of kernel_model's ChaosConfig (docs/chaos.md).
//
// One schema serves the `--chaos-profile FILE` of `uringsim run`/`record` and the
// "chaos" object of a trace header (where it also carries "seed"):
//
//   {"short_transfer": 0.25, "short_max_bytes": 0, "eio": 0, "enobufs": 0.05,
//    "eagain": 0.1, "reorder": 0.5, "latency": 0.1, "latency_ns": 20000, "cq_overflow": 0}
//
// Rates are probabilities in [0, 1] per eligible request, per eligible CQE for
// cq_overflow (kept as parts per million);
// a key left out keeps default_chaos_config()'s value (in a trace header: 0, so a
// trace recorded before a key existed replays as it was recorded). Unknown keys,
// wrong types and out-of-range values are errors.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "kernel_model/chaos.h"

namespace uringsim::traces {

// Applies the keys of `j` (an object) over *config. On error returns false with the
// offending key in *key ("" for the object itself) and a one-line reason in *why.
// `with_seed`: "seed" is accepted (trace headers); profile files must not have one.
bool chaos_from_json(const nlohmann::json& j, bool with_seed, ChaosConfig* config, std::string* key,
                     std::string* why);

// The header form: "seed" and every key, in the documented order.
nlohmann::ordered_json chaos_to_json(const ChaosConfig& config);

// Reads a profile file: *config = default_chaos_config(seed) with the file's keys
// applied. Errors are one line, "FILE:LINE: what".
bool load_chaos_profile(const std::string& path, uint64_t seed, ChaosConfig* config, std::string* error);

// The same, from text (`path` only names it in messages).
bool parse_chaos_profile(const std::string& text, const std::string& path, uint64_t seed, ChaosConfig* config,
                         std::string* error);

}  // namespace uringsim::traces
