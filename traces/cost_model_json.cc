#include "traces/cost_model_json.h"

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace uringsim::traces {

namespace {

constexpr const char* kFormat = "uringsim-cost-model/1";

// The scalar coefficients by their JSON name.
struct Field {
  const char* name;
  uint64_t CostModel::*member;
};
constexpr Field kFields[] = {
    {"register_buffer_ns", &CostModel::register_buffer_ns},
    {"pin_4k_page_ns", &CostModel::pin_4k_page_ns},
    {"pin_2m_folio_ns", &CostModel::pin_2m_folio_ns},
    {"pin_1g_folio_ns", &CostModel::pin_1g_folio_ns},
    {"account_ns", &CostModel::account_ns},
    {"clone_call_ns", &CostModel::clone_call_ns},
    {"clone_buffer_ns", &CostModel::clone_buffer_ns},
    {"unregister_buffer_ns", &CostModel::unregister_buffer_ns},
    {"unpin_4k_page_ns", &CostModel::unpin_4k_page_ns},
    {"unpin_2m_folio_ns", &CostModel::unpin_2m_folio_ns},
    {"unpin_1g_folio_ns", &CostModel::unpin_1g_folio_ns},
    {"syscall_ns", &CostModel::syscall_ns},
    {"sqe_ns", &CostModel::sqe_ns},
    {"copy_ns_per_kib", &CostModel::copy_ns_per_kib},
};

bool to_u64(const nlohmann::json& v, uint64_t* out) {
  if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<int64_t>() >= 0)) return false;
  *out = v.get<uint64_t>();
  return true;
}

}  // namespace

bool parse_cost_model(const std::string& text, CostModel* model, std::string* error) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    *error = "cost model: not a JSON object";
    return false;
  }
  CostModel m = *model;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& key = it.key();
    if (key == "format") {
      if (!it->is_string() || it->get<std::string>() != kFormat) {
        *error = std::string("cost model: \"format\" must be \"") + kFormat + "\"";
        return false;
      }
      continue;
    }
    if (key == "comment" || key == "measured_on") continue;  // free text
    if (key == "op_ns") {
      if (!it->is_object()) {
        *error = "cost model: \"op_ns\" must be an object of opcode number -> ns";
        return false;
      }
      for (auto op = it->begin(); op != it->end(); ++op) {
        char* end = nullptr;
        const unsigned long n = std::strtoul(op.key().c_str(), &end, 10);
        uint64_t ns = 0;
        if (end == op.key().c_str() || *end != '\0' || n >= 64 || !to_u64(*op, &ns)) {
          *error = "cost model: bad \"op_ns\" entry \"" + op.key() + "\"";
          return false;
        }
        m.op_ns[n] = ns;
      }
      continue;
    }
    bool known = false;
    for (const Field& f : kFields) {
      if (key != f.name) continue;
      known = true;
      if (!to_u64(*it, &(m.*f.member))) {
        *error = "cost model: \"" + key + "\" must be a non-negative integer (nanoseconds)";
        return false;
      }
    }
    if (!known) {
      *error = "cost model: unknown key \"" + key + "\"";
      return false;
    }
  }
  *model = m;
  return true;
}

bool set_cost_coefficient(CostModel* model, const std::string& name, uint64_t ns) {
  if (name.rfind("op_ns.", 0) == 0) {
    char* end = nullptr;
    const char* digits = name.c_str() + 6;
    const unsigned long op = std::strtoul(digits, &end, 10);
    if (end == digits || *end != '\0' || op >= 64) return false;
    model->op_ns[op] = ns;
    return true;
  }
  for (const Field& f : kFields) {
    if (name == f.name) {
      model->*f.member = ns;
      return true;
    }
  }
  return false;
}

bool load_cost_model(const std::string& path, CostModel* model, std::string* error) {
  std::ifstream in(path);
  if (!in) {
    *error = "cost model: cannot open " + path;
    return false;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_cost_model(ss.str(), model, error);
}

std::string cost_model_json(const CostModel& model) { return cost_model_json(model, ""); }

std::string cost_model_json(const CostModel& model, const std::string& measured_on) {
  nlohmann::ordered_json j;
  j["format"] = kFormat;
  if (!measured_on.empty()) j["measured_on"] = measured_on;
  for (const Field& f : kFields) j[f.name] = model.*f.member;
  nlohmann::ordered_json ops = nlohmann::ordered_json::object();
  for (int i = 0; i < 64; ++i)
    if (model.op_ns[i] != 0) ops[std::to_string(i)] = model.op_ns[i];
  j["op_ns"] = ops;
  return j.dump(2) + "\n";
}

}  // namespace uringsim::traces
