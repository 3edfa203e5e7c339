#include "traces/chaos_profile.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

namespace uringsim::traces {

namespace {

struct Rate {
  const char* name;
  uint32_t ChaosConfig::*ppm;
};
constexpr Rate kRates[] = {
    {"short_transfer", &ChaosConfig::short_transfer_ppm},
    {"eio", &ChaosConfig::eio_ppm},
    {"enobufs", &ChaosConfig::enobufs_ppm},
    {"eagain", &ChaosConfig::eagain_ppm},
    {"reorder", &ChaosConfig::reorder_ppm},
    {"latency", &ChaosConfig::latency_ppm},
    {"cq_overflow", &ChaosConfig::cq_overflow_ppm},
};

const char* kKnown =
    "short_transfer, short_max_bytes, eio, enobufs, eagain, reorder, latency, latency_ns, cq_overflow";

bool non_negative_integer(const nlohmann::json& v, uint64_t max, uint64_t* out) {
  if (v.is_number_unsigned()) {
    *out = v.get<uint64_t>();
  } else if (v.is_number_integer() && v.get<int64_t>() >= 0) {
    *out = static_cast<uint64_t>(v.get<int64_t>());
  } else {
    return false;
  }
  return *out <= max;
}

// The 1-based line of the first `"key"` in `text` (1 when it is not there).
int line_of_key(const std::string& text, const std::string& key) {
  const std::string quoted = "\"" + key + "\"";
  const size_t at = text.find(quoted);
  if (at == std::string::npos) return 1;
  int line = 1;
  for (size_t i = 0; i < at; ++i) line += text[i] == '\n';
  return line;
}

}  // namespace

bool chaos_from_json(const nlohmann::json& j, bool with_seed, ChaosConfig* config, std::string* key,
                     std::string* why) {
  key->clear();
  if (!j.is_object()) {
    *why = std::string("a chaos profile is a JSON object, got ") + j.type_name();
    return false;
  }
  ChaosConfig c = *config;
  for (auto it = j.begin(); it != j.end(); ++it) {
    *key = it.key();
    const nlohmann::json& v = *it;
    if (*key == "comment") {
      if (!v.is_string()) {
        *why = "\"comment\" must be a string";
        return false;
      }
      continue;
    }
    if (*key == "seed" && with_seed) {
      if (!non_negative_integer(v, UINT64_MAX, &c.seed)) {
        *why = "\"seed\" must be a non-negative integer";
        return false;
      }
      continue;
    }
    if (*key == "short_max_bytes" || *key == "latency_ns") {
      uint64_t n = 0;
      const uint64_t max = *key == "short_max_bytes" ? UINT32_MAX : UINT64_MAX;
      if (!non_negative_integer(v, max, &n)) {
        *why = "\"" + *key + "\" must be a non-negative integer" +
               (*key == "short_max_bytes" ? " below 2^32 (bytes)" : " (nanoseconds)");
        return false;
      }
      if (*key == "short_max_bytes") {
        c.short_max_bytes = static_cast<uint32_t>(n);
      } else {
        c.latency_ns = n;
      }
      continue;
    }
    bool known = false;
    for (const Rate& r : kRates) {
      if (*key != r.name) continue;
      known = true;
      if (!v.is_number() || !(v.get<double>() >= 0.0 && v.get<double>() <= 1.0)) {
        *why = "\"" + *key + "\" must be a probability between 0 and 1, got " + v.dump();
        return false;
      }
      c.*r.ppm = static_cast<uint32_t>(std::llround(v.get<double>() * 1e6));
    }
    if (!known) {
      *why = "unknown key \"" + *key + "\" (known: " + kKnown + (with_seed ? ", seed" : "") + ")";
      return false;
    }
  }
  key->clear();
  *config = c;
  return true;
}

nlohmann::ordered_json chaos_to_json(const ChaosConfig& config) {
  nlohmann::ordered_json j;
  j["seed"] = config.seed;
  for (const Rate& r : kRates) {
    j[r.name] = static_cast<double>(config.*r.ppm) / 1e6;
    // Each amount follows its rate.
    if (r.ppm == &ChaosConfig::short_transfer_ppm) j["short_max_bytes"] = config.short_max_bytes;
    if (r.ppm == &ChaosConfig::latency_ppm) j["latency_ns"] = config.latency_ns;
  }
  return j;
}

bool parse_chaos_profile(const std::string& text, const std::string& path, uint64_t seed, ChaosConfig* config,
                         std::string* error) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    int line = 1;
    for (size_t i = 0; i + 1 < e.byte && i < text.size(); ++i) line += text[i] == '\n';
    // nlohmann's message starts "[json.exception.parse_error.101] parse error at line L, column C: ...".
    std::string what = e.what();
    const size_t colon = what.find(": ");
    if (colon != std::string::npos) what = what.substr(colon + 2);
    *error = path + ":" + std::to_string(line) + ": not valid JSON: " + what;
    return false;
  }
  ChaosConfig c = default_chaos_config(seed);
  std::string key, why;
  if (!chaos_from_json(j, /*with_seed=*/false, &c, &key, &why)) {
    *error = path + ":" + std::to_string(key.empty() ? 1 : line_of_key(text, key)) + ": " + why;
    return false;
  }
  *config = c;
  return true;
}

bool load_chaos_profile(const std::string& path, uint64_t seed, ChaosConfig* config, std::string* error) {
  std::ifstream in(path);
  if (!in) {
    *error = path + ": cannot open the chaos profile: " + std::strerror(errno);
    return false;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_chaos_profile(ss.str(), path, seed, config, error);
}

}  // namespace uringsim::traces
