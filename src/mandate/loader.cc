// Loading mandates: one file, one text, or a directory of versions.
#include <algorithm>
#include <charconv>
#include <filesystem>
#include <set>

#include "src/mandate/cedar_gen.h"
#include "src/mandate/internal/check.h"
#include "src/mandate/internal/decode.h"
#include "src/mandate/internal/source.h"
#include "src/mandate/mandate.h"
#include "src/util/file.h"

namespace mandate {
namespace internal {
std::string Sha256Hex(std::string_view data);
}  // namespace internal

namespace {

bool SortBySpan(const Diagnostic& a, const Diagnostic& b) {
  return std::tie(a.where.file, a.where.line, a.where.column) <
         std::tie(b.where.file, b.where.line, b.where.column);
}

Format FormatOf(std::string_view text, Format format) {
  if (format != Format::kAuto) return format;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    return c == '{' ? Format::kJson : Format::kYaml;
  }
  return Format::kYaml;
}

bool HasMandateExtension(const std::filesystem::path& path) {
  const std::string ext = path.extension().string();
  return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

}  // namespace

std::string Diagnostic::ToString() const {
  std::string s = where.file;
  if (where.line > 0) s += ":" + std::to_string(where.line) + ":" + std::to_string(where.column);
  s += severity == Severity::kError ? ": error: " : ": warning: ";
  s.append(message).append(" [").append(code).append("]");
  if (!help.empty()) s.append("\n  help: ").append(help);
  return s;
}

std::string_view ValueTypeName(ValueType type) {
  static constexpr std::string_view kNames[] = {"string", "long", "bool", "set<string>",
                                                "set<long>"};
  return kNames[static_cast<int>(type)];
}

int Mandate::StepIndex(std::string_view id) const {
  for (size_t i = 0; i < steps.size(); ++i) {
    if (steps[i].id == id) return static_cast<int>(i);
  }
  return -1;
}

int Mandate::SystemIndex(std::string_view system) const {
  for (size_t i = 0; i < systems.size(); ++i) {
    if (systems[i].name == system) return static_cast<int>(i);
  }
  return -1;
}

std::vector<std::string> Mandate::Labels() const {
  std::set<std::string> labels;
  for (const Step& step : steps) {
    labels.insert(step.reads.begin(), step.reads.end());
    labels.insert(step.writes.begin(), step.writes.end());
  }
  return {labels.begin(), labels.end()};
}

size_t LoadResult::ErrorCount() const {
  return std::count_if(diagnostics.begin(), diagnostics.end(),
                       [](const Diagnostic& d) { return d.severity == Severity::kError; });
}

LoadResult LoadMandateText(std::string_view text, std::string_view file, Format format,
                           const LoadOptions& options) {
  LoadResult result;
  const std::string file_name(file);
  YAML::Node root;
  if (!internal::ParseSource(text, file_name, FormatOf(text, format), options, &root,
                             &result.diagnostics)) {
    return result;
  }
  auto mandate = std::make_shared<Mandate>();
  internal::Decoder decoder(file_name, &result.diagnostics);
  internal::DecodeMandate(root, decoder, mandate.get());
  internal::CheckMandate(*mandate, text, decoder);
  if (result.ErrorCount() == 0) {
    mandate->cedar = CompileMandateCedar(*mandate, text, &result.diagnostics);
  }
  std::stable_sort(result.diagnostics.begin(), result.diagnostics.end(), SortBySpan);
  if (result.ErrorCount() == 0) {
    mandate->digest = "sha256:" + internal::Sha256Hex(ToNormalisedJson(*mandate));
    result.mandate = std::move(mandate);
  }
  return result;
}

LoadResult LoadMandateFile(const std::string& path, const LoadOptions& options) {
  auto text = ReadFileBytes(path, options.max_bytes);
  if (!text) {
    LoadResult result;
    result.diagnostics.push_back(
        {Severity::kError, "mandate.unreadable", text.error().message(), {path, 0, 0}, ""});
    return result;
  }
  const std::string ext = std::filesystem::path(path).extension().string();
  const Format format = ext == ".json"                      ? Format::kJson
                        : (ext == ".yaml" || ext == ".yml") ? Format::kYaml
                                                            : Format::kAuto;
  return LoadMandateText(*text, path, format, options);
}

int CompareVersions(std::string_view a, std::string_view b) {
  while (!a.empty() || !b.empty()) {
    const size_t da = std::min(a.find('.'), a.size()), db = std::min(b.find('.'), b.size());
    const std::string_view pa = a.substr(0, da), pb = b.substr(0, db);
    uint64_t na = 0, nb = 0;
    const bool numeric =
        std::from_chars(pa.data(), pa.data() + pa.size(), na).ptr == pa.data() + pa.size() &&
        std::from_chars(pb.data(), pb.data() + pb.size(), nb).ptr == pb.data() + pb.size() &&
        !pa.empty() && !pb.empty();
    if (numeric && na != nb) return na < nb ? -1 : 1;
    if (!numeric && pa != pb) return pa < pb ? -1 : 1;
    a = a.substr(std::min(da + 1, a.size()));
    b = b.substr(std::min(db + 1, b.size()));
  }
  return 0;
}

std::shared_ptr<const Mandate> MandateCatalog::Find(std::string_view name,
                                                    std::string_view version) const {
  std::shared_ptr<const Mandate> best;
  for (const auto& m : mandates) {
    if (m->name != name) continue;
    if (!version.empty()) {
      if (m->version == version) return m;
    } else if (!best || CompareVersions(best->version, m->version) < 0) {
      best = m;
    }
  }
  return best;
}

MandateCatalog LoadMandateDirectory(const std::string& dir, const LoadOptions& options) {
  MandateCatalog catalog;
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file() && HasMandateExtension(it->path())) files.push_back(it->path());
  }
  if (ec) {
    Diagnostic unreadable;
    unreadable.code = "mandate.unreadable";
    unreadable.message = "cannot list `" + dir + "`: " + ec.message();
    unreadable.where.file = dir;
    catalog.diagnostics.push_back(std::move(unreadable));
    return catalog;
  }
  std::sort(files.begin(), files.end());
  for (const auto& path : files) {
    LoadResult result = LoadMandateFile(path.string(), options);
    catalog.diagnostics.insert(catalog.diagnostics.end(), result.diagnostics.begin(),
                               result.diagnostics.end());
    if (!result.ok()) continue;
    const Mandate& m = *result.mandate;
    auto same = std::find_if(catalog.mandates.begin(), catalog.mandates.end(), [&](const auto& o) {
      return o->name == m.name && o->version == m.version;
    });
    if (same != catalog.mandates.end()) {
      if ((*same)->digest != m.digest) {
        catalog.diagnostics.push_back({Severity::kError, "mandate.duplicate_version",
                                       "mandate `" + m.name + "` version `" + m.version +
                                           "` is also defined in `" + (*same)->where.file +
                                           "` with different content",
                                       m.where, "give the changed mandate a new version"});
      }
      continue;
    }
    catalog.mandates.push_back(result.mandate);
  }
  std::sort(catalog.mandates.begin(), catalog.mandates.end(), [](const auto& a, const auto& b) {
    if (a->name != b->name) return a->name < b->name;
    return CompareVersions(a->version, b->version) < 0;
  });
  return catalog;
}

}  // namespace mandate
