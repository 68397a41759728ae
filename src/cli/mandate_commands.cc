// `mandate mandate validate|show|graph`: thin adapters over src/mandate/.
#include <boost/json.hpp>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "src/cli/commands.h"
#include "src/json/json.h"
#include "src/mandate/cedar_gen.h"
#include "src/mandate/mandate.h"

namespace mandate::cli {
namespace {

void PrettyJson(std::ostream& out, const boost::json::value& v, int indent) {
  const std::string pad(indent + 2, ' '), end_pad(indent, ' ');
  if (v.is_object() && !v.as_object().empty()) {
    out << "{\n";
    bool first = true;
    for (const auto& member : v.as_object()) {
      out << (first ? "" : ",\n") << pad << boost::json::serialize(boost::json::value(member.key()))
          << ": ";
      PrettyJson(out, member.value(), indent + 2);
      first = false;
    }
    out << "\n" << end_pad << "}";
  } else if (v.is_array() && !v.as_array().empty()) {
    out << "[\n";
    bool first = true;
    for (const auto& item : v.as_array()) {
      out << (first ? "" : ",\n") << pad;
      PrettyJson(out, item, indent + 2);
      first = false;
    }
    out << "\n" << end_pad << "]";
  } else {
    out << boost::json::serialize(v);
  }
}

// Prints diagnostics like a compiler; returns the number of errors.
size_t Report(const std::vector<Diagnostic>& diagnostics) {
  size_t errors = 0;
  for (const Diagnostic& d : diagnostics) {
    std::cerr << d.ToString() << "\n";
    errors += d.severity == Severity::kError;
  }
  return errors;
}

std::shared_ptr<const Mandate> LoadOrReport(const std::string& path) {
  LoadResult result = LoadMandateFile(path);
  Report(result.diagnostics);
  return result.mandate;
}

}  // namespace

void AddMandateCommands(CLI::App& app, int& exit_code) {
  CLI::App* group = app.add_subcommand("mandate", "validate, show and graph mandate documents");
  group->require_subcommand(1);

  static std::vector<std::string> validate_paths;
  static bool warnings_are_errors = false;
  CLI::App* validate = group->add_subcommand(
      "validate", "check mandates (files or directories); exit 1 on any error");
  validate->add_option("paths", validate_paths, "mandate files (.yaml, .yml, .json) or directories")
      ->required();
  validate->add_flag("--warnings-as-errors", warnings_are_errors, "fail on warnings too");
  validate->callback([&exit_code] {
    size_t errors = 0, warnings = 0, mandates = 0;
    for (const std::string& path : validate_paths) {
      std::vector<Diagnostic> diagnostics;
      std::vector<std::shared_ptr<const Mandate>> loaded;
      if (std::filesystem::is_directory(path)) {
        MandateCatalog catalog = LoadMandateDirectory(path);
        diagnostics = std::move(catalog.diagnostics);
        loaded = std::move(catalog.mandates);
      } else {
        LoadResult result = LoadMandateFile(path);
        diagnostics = std::move(result.diagnostics);
        if (result.mandate) loaded.push_back(result.mandate);
      }
      const size_t e = Report(diagnostics);
      errors += e;
      warnings += diagnostics.size() - e;
      for (const auto& m : loaded) {
        std::cout << m->where.file << ": ok: mandate `" << m->name << "` version `" << m->version
                  << "` " << m->digest << "\n";
      }
      mandates += loaded.size();
    }
    std::cout << mandates << " mandate(s) valid, " << errors << " error(s), " << warnings
              << " warning(s)\n";
    exit_code = (errors > 0 || (warnings_are_errors && warnings > 0)) ? 1 : 0;
  });

  static std::string show_path, show_format = "json";
  CLI::App* show = group->add_subcommand("show", "print a mandate in normalised form");
  show->add_option("file", show_path, "mandate file")->required();
  show->add_option("--format", show_format, "json | cedar-schema | cedar-policies")
      ->check(CLI::IsMember({"json", "cedar-schema", "cedar-policies"}));
  show->callback([&exit_code] {
    auto mandate = LoadOrReport(show_path);
    if (!mandate) {
      exit_code = 1;
      return;
    }
    if (show_format == "cedar-schema") {
      std::cout << mandate->cedar->schema_text;
    } else if (show_format == "cedar-policies") {
      std::cout << mandate->cedar->policies_text;
    } else {
      auto parsed = json::Parse(ToNormalisedJson(*mandate));
      PrettyJson(std::cout, *parsed, 0);
      std::cout << "\n";
    }
    exit_code = 0;
  });

  static std::string graph_path;
  CLI::App* graph = group->add_subcommand("graph", "print a mandate's order as Graphviz DOT");
  graph->add_option("file", graph_path, "mandate file")->required();
  graph->callback([&exit_code] {
    auto mandate = LoadOrReport(graph_path);
    if (!mandate) {
      exit_code = 1;
      return;
    }
    std::cout << ToDot(*mandate);
    exit_code = 0;
  });
}

}  // namespace mandate::cli
