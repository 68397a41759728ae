// What the operator commands (`mandate approvals`, `mandate kill`) share: the server URL and
// the bearer credential (the admin token file, or an approver's OIDC token), and one JSON call.
#pragma once

#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <memory>
#include <string>

#include "src/http/client.h"
#include "src/json/json.h"
#include "src/util/file.h"
#include "src/util/status.h"

namespace mandate::cli {

struct OperatorClient {
  std::string server = "http://127.0.0.1:8181";
  std::string token_file = "mandate-data/admin.token";
  std::string token;  // wins over token_file (e.g. an approver's OIDC token)

  static std::shared_ptr<OperatorClient> AddOptions(CLI::App* cmd) {
    auto c = std::make_shared<OperatorClient>();
    cmd->add_option("--server", c->server, "authority URL")->capture_default_str();
    cmd->add_option("--token-file", c->token_file, "file holding the admin token")
        ->capture_default_str();
    cmd->add_option("--token", c->token, "bearer token (an approver's OIDC token)")
        ->envname("MANDATE_TOKEN");
    return c;
  }

  // The answer's JSON object and HTTP status; an error JSON becomes a Status with its code.
  Result<boost::json::object> Call(const std::string& method, const std::string& path,
                                   const boost::json::object* body = nullptr) const {
    std::string bearer = token;
    if (bearer.empty()) {
      auto text = ReadTrimmedFile(token_file);
      if (!text) {
        return Err(InvalidArgument("cli.token", "the admin token: " + text.error().message() +
                                                    " (use --token-file or --token)"));
      }
      bearer = std::move(*text);
    }
    http::ClientRequest request{
        .method = method,
        .url = server + path,
        .headers = {{"Authorization", "Bearer " + bearer}, {"Content-Type", "application/json"}},
        .body = body ? json::Serialize(*body) : ""};
    auto response = http::Fetch(request);
    if (!response) return Err(response.error());
    auto parsed = json::Parse(response->body);
    if (!parsed || !parsed->is_object()) {
      return Err(
          Internal("cli.bad_answer", "the server answered " + std::to_string(response->status)));
    }
    auto& o = parsed->as_object();
    if (response->status >= 300) {
      const auto* error = o.if_contains("error");
      std::string code = "http." + std::to_string(response->status), message;
      if (error && error->is_object()) {
        if (auto* c = error->as_object().if_contains("code"); c && c->is_string())
          code = c->as_string();
        if (auto* m = error->as_object().if_contains("message"); m && m->is_string())
          message = m->as_string();
      }
      return Err(Status(StatusCode::kFailedPrecondition, code, message));
    }
    return std::move(o);
  }
};

inline std::string JsonText(const boost::json::value& v) {
  return v.is_string() ? std::string(v.as_string()) : json::Serialize(v);
}

}  // namespace mandate::cli
