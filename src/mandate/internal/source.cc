#include "src/mandate/internal/source.h"

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <string>

#include <yaml-cpp/eventhandler.h>

#include "src/json/json.h"

namespace mandate::internal {
namespace {

void Add(std::vector<Diagnostic>* out, const std::string& file, int line, int column,
         std::string code, std::string message) {
  out->push_back(
      Diagnostic{Severity::kError, std::move(code), std::move(message), {file, line, column}, ""});
}

// Walks the tree once, bounding visits (aliases share nodes in yaml-cpp, so an alias bomb is
// a small graph but an exponential walk: every visit counts), depth and scalar size.
struct Walker {
  explicit Walker(const LoadOptions& o) : options(o) {}
  const LoadOptions& options;
  size_t visits = 0;
  bool failed = false;
  std::string code, message;
  YAML::Mark mark;

  void Fail(const YAML::Node& node, std::string c, std::string m) {
    failed = true;
    code = std::move(c);
    message = std::move(m);
    mark = node.Mark();
  }

  void Walk(const YAML::Node& node, size_t depth) {
    if (failed) return;
    if (++visits > options.max_nodes) {
      return Fail(node, "mandate.too_many_nodes",
                  "document has more than " + std::to_string(options.max_nodes) +
                      " nodes (aliases count each time they are used)");
    }
    if (depth > options.max_depth) {
      return Fail(node, "mandate.too_deep",
                  "nesting deeper than " + std::to_string(options.max_depth));
    }
    if (node.IsScalar()) {
      if (node.Scalar().size() > options.max_scalar_bytes) {
        Fail(node, "mandate.scalar_too_large",
             "value of " + std::to_string(node.Scalar().size()) + " bytes exceeds the limit of " +
                 std::to_string(options.max_scalar_bytes));
      }
      return;
    }
    if (node.IsSequence()) {
      for (const auto& child : node) Walk(child, depth + 1);
    } else if (node.IsMap()) {
      for (const auto& kv : node) {
        Walk(kv.first, depth + 1);
        Walk(kv.second, depth + 1);
      }
    }
  }
};

// Where the first two documents start, from parser events only. Not YAML::LoadAll: yaml-cpp
// 0.7 loops forever (allocating an empty document each turn) on a stray flow indicator such as
// a leading ',', reporting each "document" at the same position; two starts at one position
// are that case, and the caller reports it as a syntax error.
std::vector<YAML::Mark> DocumentStarts(const std::string& text) {
  struct StartRecorder : YAML::EventHandler {
    std::vector<YAML::Mark> starts;
    void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
    void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
    void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  const std::string&) override {}
    void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                         YAML::EmitterStyle::value) override {}
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                    YAML::EmitterStyle::value) override {}
    void OnMapEnd() override {}
  };
  std::istringstream in(text);
  YAML::Parser parser(in);
  StartRecorder recorder;
  while (recorder.starts.size() < 2 && parser.HandleNextDocument(recorder)) {
  }
  return recorder.starts;
}

}  // namespace

bool IsValidUtf8(std::string_view text, size_t* bad_offset) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = s[i];
    size_t len = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07;
    } else {
      *bad_offset = i;
      return false;
    }
    if (i + len > n) {
      *bad_offset = i;
      return false;
    }
    for (size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) {
        *bad_offset = i;
        return false;
      }
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    const bool overlong =
        (len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
    if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      *bad_offset = i;
      return false;
    }
    i += len;
  }
  return true;
}

void LineColumnAt(std::string_view text, size_t offset, int* line, int* column) {
  *line = 1;
  *column = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++*line;
      *column = 1;
    } else {
      ++*column;
    }
  }
}

bool ParseSource(std::string_view text, const std::string& file, Format format,
                 const LoadOptions& options, YAML::Node* root, std::vector<Diagnostic>* out) {
  if (text.size() > options.max_bytes) {
    Add(out, file, 1, 1, "mandate.too_large",
        "document of " + std::to_string(text.size()) + " bytes exceeds the limit of " +
            std::to_string(options.max_bytes));
    return false;
  }
  int line = 0, column = 0;
  size_t bad = 0;
  if (!IsValidUtf8(text, &bad)) {
    LineColumnAt(text, bad, &line, &column);
    Add(out, file, line, column, "mandate.invalid_utf8", "invalid utf-8 byte sequence");
    return false;
  }
  if (size_t nul = text.find('\0'); nul != std::string_view::npos) {
    LineColumnAt(text, nul, &line, &column);
    Add(out, file, line, column, "mandate.invalid_character", "nul byte in document");
    return false;
  }
  if (format == Format::kJson) {
    auto parsed = json::Parse(text, {options.max_bytes, options.max_depth});
    if (!parsed) {
      line = column = 1;
      std::sscanf(parsed.error().message().c_str(), "json: line %d, column %d", &line, &column);
      std::string message = parsed.error().message();
      if (auto colon = message.find(": ", message.find("column")); colon != std::string::npos) {
        message = message.substr(colon + 2);
      }
      Add(out, file, line, column, "mandate.syntax", "json: " + message);
      return false;
    }
  }
  try {
    const std::string owned(text);
    std::vector<YAML::Mark> starts = DocumentStarts(owned);
    if (starts.size() > 1 && starts[1].pos == starts[0].pos) {
      const char c = owned[static_cast<size_t>(starts[0].pos)];
      Add(out, file, starts[0].line + 1, starts[0].column + 1, "mandate.syntax",
          std::string("yaml: unexpected '") + c + "' where a document should start");
      return false;
    }
    if (starts.size() > 1) {
      Add(out, file, starts[1].line + 1, starts[1].column + 1, "mandate.multiple_documents",
          "one mandate per file: found a second yaml document");
      return false;
    }
    *root = starts.empty() ? YAML::Node() : YAML::Load(owned);
  } catch (const YAML::Exception& e) {
    Add(out, file, e.mark.line + 1, e.mark.column + 1, "mandate.syntax",
        "yaml: " + (e.msg.empty() ? std::string("syntax error") : e.msg));
    return false;
  }
  Walker walker(options);
  walker.Walk(*root, 0);
  if (walker.failed) {
    Add(out, file, walker.mark.line + 1, walker.mark.column + 1, walker.code, walker.message);
    return false;
  }
  if (!root->IsMap()) {
    Add(out, file, std::max(root->Mark().line, 0) + 1, std::max(root->Mark().column, 0) + 1,
        "mandate.not_a_mapping", "a mandate must be a mapping of fields");
    return false;
  }
  return true;
}

}  // namespace mandate::internal
