// Typed reading of YAML nodes with diagnostics: every error is recorded with its position and
// decoding goes on, so one pass reports all of a document's mistakes.
// Thread-safety: not thread-safe; one Decoder per load.
#pragma once

#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "src/mandate/mandate.h"

namespace mandate::internal {

class Decoder {
 public:
  Decoder(std::string file, std::vector<Diagnostic>* out) : file_(std::move(file)), out_(out) {}

  SourceSpan Span(const YAML::Node& node) const;
  const std::string& file() const { return file_; }
  void Error(const YAML::Node& node, std::string code, std::string message, std::string help = {});
  void Error(const SourceSpan& where, std::string code, std::string message, std::string help = {});
  void Warn(const SourceSpan& where, std::string code, std::string message, std::string help = {});

  // The members of a mapping, in order. Reports `what` is not a mapping, duplicate keys and keys
  // outside `allowed` (mandate.unknown_key), and skips them. Returns false if not a mapping.
  using Members = std::vector<std::pair<std::string, YAML::Node>>;
  bool Map(const YAML::Node& node, std::string_view what,
           std::initializer_list<std::string_view> allowed, Members* out);
  // The same without a fixed key set (maps keyed by names); with `identifiers`, keys that are not
  // identifiers are reported (at the key) and skipped.
  bool NamedMap(const YAML::Node& node, std::string_view what, Members* out,
                bool identifiers = false);
  // Reports missing required keys.
  void Require(const YAML::Node& node, const Members& members, std::string_view what,
               std::initializer_list<std::string_view> required);

  bool String(const YAML::Node& node, std::string_view what, std::string* out);
  // A string that must be an identifier (`[A-Za-z_][A-Za-z0-9_]*`, at most 64 bytes).
  bool Identifier(const YAML::Node& node, std::string_view what, std::string* out);
  // A data label (`[a-z0-9][a-z0-9_.-]*`).
  bool Label(const YAML::Node& node, std::string_view what, std::string* out);
  bool Bool(const YAML::Node& node, std::string_view what, bool* out);
  bool Unsigned(const YAML::Node& node, std::string_view what, uint32_t max, uint32_t* out);
  // Integer seconds or a string `30s`, `5m`, `2h`, `1d`; must be > 0 and at most 30 days.
  bool Duration(const YAML::Node& node, std::string_view what, int64_t* seconds);
  // A string or a sequence of strings (each checked by `item`).
  using ItemFn = bool (Decoder::*)(const YAML::Node&, std::string_view, std::string*);
  bool StringList(const YAML::Node& node, std::string_view what, std::vector<std::string>* out,
                  ItemFn item = &Decoder::String);
  // One of `choices`; returns its index.
  bool Choice(const YAML::Node& node, std::string_view what,
              std::initializer_list<std::string_view> choices, int* index);

 private:
  bool Members_(const YAML::Node& node, std::string_view what, Members* out, bool identifiers,
                const std::initializer_list<std::string_view>* allowed);
  bool Scalar(const YAML::Node& node, std::string_view what, std::string_view expected);
  std::string file_;
  std::vector<Diagnostic>* out_;
};

}  // namespace mandate::internal
