// The order of a mandate as a Graphviz DOT digraph (`mandate mandate graph`).
#include <string>

#include "src/mandate/mandate.h"

namespace mandate {
namespace {

std::string Escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string Join(const std::vector<std::string>& items) {
  std::string s;
  for (const auto& item : items) s += (s.empty() ? "" : ", ") + item;
  return s;
}

}  // namespace

std::string ToDot(const Mandate& m) {
  std::string dot = "digraph \"" + Escape(m.name + " " + m.version) + "\" {\n";
  dot += "  rankdir=LR;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n";
  dot += "  edge [fontname=\"Helvetica\", fontsize=10];\n";
  dot += "  start [shape=circle, label=\"\", width=0.25, style=filled, fillcolor=black];\n";
  for (const Step& step : m.steps) {
    std::string label = step.id + "\\n" + step.system + ": " + Escape(Join(step.actions));
    if (!step.resources.empty()) label += "\\n" + Escape(Join(step.resources));
    if (step.max_calls) label += "\\nmax " + std::to_string(*step.max_calls) + " calls";
    if (!step.reads.empty()) label += "\\nreads " + Join(step.reads);
    if (!step.writes.empty()) label += "\\nwrites " + Join(step.writes);
    if (!step.guard.empty()) label += "\\nguarded";
    std::string attributes = "label=\"" + label + "\"";
    if (step.approval_required) attributes += ", color=orange, penwidth=2";
    if (step.delegable) attributes += ", style=\"rounded,dashed\"";
    for (const auto& f : m.order.final_steps) {
      if (f == step.id) attributes += ", peripheries=2";
    }
    dot += "  \"" + step.id + "\" [" + attributes + "];\n";
  }
  if (m.order.sequenced) {
    std::vector<std::string> start = m.order.start;
    if (start.empty()) {
      for (const Step& step : m.steps) {
        bool targeted = false;
        for (const auto& [from, transitions] : m.order.next) {
          for (const auto& t : transitions) targeted = targeted || t.to == step.id;
        }
        if (!targeted) start.push_back(step.id);
      }
    }
    for (const auto& s : start) dot += "  start -> \"" + s + "\";\n";
    for (const auto& [from, transitions] : m.order.next) {
      for (const Transition& t : transitions) {
        dot += "  \"" + from + "\" -> \"" + t.to + "\"";
        if (!t.when.empty()) dot += " [label=\"" + Escape(t.when) + "\"]";
        dot += ";\n";
      }
    }
  } else {
    dot += "  start -> any [style=dotted];\n  any [shape=note, label=\"any order\"];\n";
  }
  for (const auto& [step, list] : m.order.prerequisites) {
    for (const auto& r : list) {
      dot += "  \"" + r + "\" -> \"" + step + "\" [style=dashed, label=\"requires\"];\n";
    }
  }
  for (const Loop& loop : m.order.loops) {
    dot += "  \"" + loop.head + "\" [xlabel=\"loop <= " + std::to_string(loop.max_iterations) +
           "\"];\n";
  }
  return dot + "}\n";
}

}  // namespace mandate
