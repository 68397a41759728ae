// Reference checks and warnings over a decoded mandate: names resolve (step -> system,
// order -> step, guard -> declared args and inputs, placeholder -> input), limits of the
// compact task progress hold (steps, loops, labels), and the order is sound. Warnings:
// unreachable steps, unbounded loops, missing deadline, wildcard resources.
// Thread-safety: stateless functions.
#pragma once

#include <string_view>

#include "src/mandate/internal/decoder.h"
#include "src/mandate/mandate.h"

namespace mandate::internal {

// `source` is the document text, for positions inside guards.
void CheckMandate(const Mandate& mandate, std::string_view source, Decoder& decoder);

}  // namespace mandate::internal
