#include "src/mandate/internal/pattern.h"

#include <algorithm>
#include <cctype>

namespace mandate::internal {
namespace {

void AddLiteral(std::vector<PatternToken>* tokens, std::string_view text) {
  if (text.empty()) return;
  if (!tokens->empty() && tokens->back().kind == PatternToken::kLiteral) {
    tokens->back().text += text;
  } else {
    tokens->push_back({PatternToken::kLiteral, std::string(text), -1});
  }
}

struct Matcher {
  const std::vector<PatternToken>& tokens;
  const InputValues& inputs;
  std::string_view s;
  int budget = 20000;

  bool Match(size_t t, size_t i) {
    if (--budget < 0) return false;
    if (t == tokens.size()) return i == s.size();
    const PatternToken& token = tokens[t];
    switch (token.kind) {
      case PatternToken::kLiteral:
        return s.substr(i, token.text.size()) == token.text && Match(t + 1, i + token.text.size());
      case PatternToken::kInput:
        if (token.input < 0 || static_cast<size_t>(token.input) >= inputs.size()) return false;
        for (const std::string& value : inputs[token.input]) {
          if (!value.empty() && s.substr(i, value.size()) == value &&
              Match(t + 1, i + value.size()))
            return true;
        }
        return false;
      case PatternToken::kStar:
      case PatternToken::kGlobStar:
        for (size_t j = i;; ++j) {
          if (Match(t + 1, j)) return true;
          if (j == s.size() || budget < 0) return false;
          if (token.kind == PatternToken::kStar && s[j] == '/') return false;
        }
    }
    return false;
  }
};

// Containment by simulation: `outer` tokens against `inner` tokens, where an inner `*` may only
// be absorbed by an outer `*` or `**`, and an inner `**` only by an outer `**`.
struct Container {
  const std::vector<PatternToken>& outer;
  std::vector<PatternToken> inner;  // literal tokens split into one-character tokens
  int budget = 20000;

  bool Covers(size_t o, size_t i) {
    if (--budget < 0) return false;
    if (o == outer.size()) return i == inner.size();
    const PatternToken& token = outer[o];
    if (token.kind == PatternToken::kLiteral) {
      size_t k = 0;
      for (; k < token.text.size(); ++k) {
        if (i + k >= inner.size() || inner[i + k].kind != PatternToken::kLiteral ||
            inner[i + k].text[0] != token.text[k])
          return false;
      }
      return Covers(o + 1, i + k);
    }
    if (token.kind == PatternToken::kInput) return false;
    for (size_t j = i;; ++j) {
      if (Covers(o + 1, j)) return true;
      if (j == inner.size() || budget < 0) return false;
      const PatternToken& next = inner[j];
      if (token.kind == PatternToken::kStar) {
        if (next.kind == PatternToken::kGlobStar || next.kind == PatternToken::kInput) return false;
        if (next.kind == PatternToken::kLiteral && next.text[0] == '/') return false;
      } else if (next.kind == PatternToken::kInput) {
        return false;
      }
    }
  }
};

}  // namespace

bool CompilePattern(std::string_view text, const std::vector<TypedField>& inputs,
                    ResourcePattern* out, std::string* error) {
  out->source = std::string(text);
  out->tokens.clear();
  out->wildcards = 0;
  out->has_inputs = false;
  if (text.empty() || text.size() > kMaxResourceBytes) {
    *error = "a resource pattern must be 1 to " + std::to_string(kMaxResourceBytes) + " bytes";
    return false;
  }
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '*') {
      const bool glob = i + 1 < text.size() && text[i + 1] == '*';
      if (glob && i + 2 < text.size() && text[i + 2] == '*') {
        *error = "`***` is not a wildcard: use `*` or `**`";
        return false;
      }
      out->tokens.push_back({glob ? PatternToken::kGlobStar : PatternToken::kStar, "", -1});
      ++out->wildcards;
      i += glob ? 2 : 1;
    } else if (c == '{') {
      const size_t close = text.find('}', i);
      if (close == std::string_view::npos) {
        *error = "unclosed `{` at byte " + std::to_string(i + 1);
        return false;
      }
      const std::string name(text.substr(i + 1, close - i - 1));
      auto it = std::find_if(inputs.begin(), inputs.end(),
                             [&](const TypedField& f) { return f.name == name; });
      if (it == inputs.end()) {
        *error = "unknown input `" + name + "` in placeholder";
        return false;
      }
      if (it->type == ValueType::kBool) {
        *error = "input `" + name + "` is a bool and cannot be a resource placeholder";
        return false;
      }
      out->tokens.push_back({PatternToken::kInput, "", static_cast<int>(it - inputs.begin())});
      out->has_inputs = true;
      i = close + 1;
    } else if (c == '}') {
      *error = "unmatched `}` at byte " + std::to_string(i + 1);
      return false;
    } else if (std::iscntrl(static_cast<unsigned char>(c))) {
      *error = "control character in resource pattern";
      return false;
    } else {
      size_t j = i;
      while (j < text.size() && text[j] != '*' && text[j] != '{' && text[j] != '}' &&
             !std::iscntrl(static_cast<unsigned char>(text[j])))
        ++j;
      AddLiteral(&out->tokens, text.substr(i, j - i));
      i = j;
    }
  }
  if (out->wildcards > kMaxWildcards) {
    *error = "more than " + std::to_string(kMaxWildcards) + " wildcards";
    return false;
  }
  return true;
}

bool MatchPattern(const ResourcePattern& pattern, std::string_view resource,
                  const InputValues& inputs) {
  if (resource.size() > kMaxResourceBytes) return false;
  Matcher matcher{pattern.tokens, inputs, resource};
  return matcher.Match(0, 0);
}

std::vector<ResourcePattern> ResolvePattern(const ResourcePattern& pattern,
                                            const InputValues& inputs) {
  std::vector<ResourcePattern> out(1);
  out[0].source = pattern.source;
  for (const PatternToken& token : pattern.tokens) {
    if (token.kind != PatternToken::kInput) {
      for (auto& p : out) {
        if (token.kind == PatternToken::kLiteral) {
          AddLiteral(&p.tokens, token.text);
        } else {
          p.tokens.push_back(token);
          ++p.wildcards;
        }
      }
      continue;
    }
    std::vector<ResourcePattern> next;
    if (token.input >= 0 && static_cast<size_t>(token.input) < inputs.size()) {
      for (const auto& p : out) {
        for (const std::string& value : inputs[token.input]) {
          if (value.empty()) continue;
          next.push_back(p);
          AddLiteral(&next.back().tokens, value);
        }
      }
    }
    out = std::move(next);  // an unbound input resolves to nothing (fails closed)
  }
  return out;
}

bool PatternContains(const ResourcePattern& outer, const ResourcePattern& inner) {
  Container container{outer.tokens, {}};
  for (const PatternToken& token : inner.tokens) {
    if (token.kind == PatternToken::kLiteral) {
      for (char c : token.text) container.inner.push_back({PatternToken::kLiteral, {c}, -1});
    } else {
      container.inner.push_back(token);
    }
  }
  return container.Covers(0, 0);
}

}  // namespace mandate::internal
