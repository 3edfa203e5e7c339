// Reading and writing a cost model (kernel_model/cost.h) as JSON -- the file that
// `--cost-model FILE` takes and `uringsim calibrate -o FILE` will write. The format
// is in docs/cost-model.md. The model itself parses nothing.
#pragma once

#include <string>

#include "kernel_model/cost.h"

namespace uringsim::traces {

// Overlays the coefficients present in `json` on `*model` (absent keys keep their
// value). Returns false with *error set on malformed JSON, an unknown key, a negative
// or non-integer value, or a "format" other than "uringsim-cost-model/1".
bool parse_cost_model(const std::string& json, CostModel* model, std::string* error);
bool load_cost_model(const std::string& path, CostModel* model, std::string* error);
// Sets the coefficient the file calls `name` ("pin_4k_page_ns"; "op_ns.N" for opcode
// N's entry of "op_ns"). Returns false, changing nothing, for a name the format lacks.
bool set_cost_coefficient(CostModel* model, const std::string& name, uint64_t ns);
// Every coefficient, as a JSON object (pretty-printed).
std::string cost_model_json(const CostModel& model);
// The same with a free-text "measured_on" (host, kernel, date), as calibrate writes it.
std::string cost_model_json(const CostModel& model, const std::string& measured_on);

}  // namespace uringsim::traces
