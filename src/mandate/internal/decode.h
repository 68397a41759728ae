// Decoding a parsed mandate tree into the model, field by field, collecting every error.
// Reference checks and warnings come after, in check.h.
// Thread-safety: stateless functions.
#pragma once

#include <yaml-cpp/yaml.h>

#include "src/mandate/internal/decoder.h"
#include "src/mandate/mandate.h"

namespace mandate::internal {

// Fills `mandate` from `root` (a mapping); errors go to the decoder's diagnostics.
void DecodeMandate(const YAML::Node& root, Decoder& decoder, Mandate* mandate);

}  // namespace mandate::internal
