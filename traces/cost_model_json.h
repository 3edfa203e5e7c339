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
// Every coefficient, as a JSON object (pretty-printed).
std::string cost_model_json(const CostModel& model);

}  // namespace uringsim::traces
