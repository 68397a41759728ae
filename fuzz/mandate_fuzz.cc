// Fuzzes the mandate loader (YAML and JSON), and for documents that load, the chain automaton,
// the normalised form (which must load again to the same digest) and the DOT graph.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "src/mandate/chain.h"
#include "src/mandate/mandate.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  mandate::LoadOptions options;
  options.max_nodes = 20000;
  mandate::LoadResult result =
      mandate::LoadMandateText(text, "fuzz.yaml", mandate::Format::kAuto, options);
  if (!result.ok()) return 0;
  const mandate::Mandate& m = *result.mandate;
  mandate::Chain chain(result.mandate);
  mandate::TaskInputs inputs;
  inputs.values.assign(m.inputs.size(), {"x"});
  mandate::TaskProgress progress;
  for (const mandate::Step& step : m.steps) {
    // Both arms string_view: a "" arm would make the result a temporary std::string.
    const std::string_view action =
        step.actions.empty() ? std::string_view() : std::string_view(step.actions[0]);
    mandate::ChainMatch match = chain.Match(progress, {step.system, action, "x"}, inputs);
    if (match.allowed()) progress = match.candidates[0].after;
    (void)chain.Describe(match, progress, {step.system, action, "x"});
  }
  const std::string json = mandate::ToNormalisedJson(m);
  mandate::LoadResult again = mandate::LoadMandateText(json, "fuzz.json", mandate::Format::kJson);
  if (!again.ok() || again.mandate->digest != m.digest) std::abort();
  (void)mandate::ToDot(m);
  return 0;
}
