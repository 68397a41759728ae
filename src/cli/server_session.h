// What the commands that talk to a running `mandate serve` share: reading and writing the small
// files they keep (agent key, task tokens, operator token), one HTTP exchange with the server,
// and printing its answer. Header-only: the CLI's sources are the *_commands.cc files.
//
// The agent's files live in one folder (`--agent-dir`, default `mandate-agent`):
//   key.json            the agent's private key (EdDSA JWK, mode 0600): its DPoP key
//   tasks/<id>.token    the task token of each task it started (mode 0600)
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <iostream>
#include <string>

#include "src/credential/credential.h"
#include "src/http/client.h"
#include "src/json/json.h"
#include "src/util/clock.h"
#include "src/util/file.h"
#include "src/util/status.h"

namespace mandate::cli {

// Writes a secret (mode 0600), replacing the file atomically.
inline Status WriteSecretFile(const std::string& path, const std::string& text) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return Internal("file.unwritable", "cannot create `" + tmp + "`");
  const std::string line = text + "\n";
  const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0)
    return Internal("file.unwritable", "cannot write `" + path + "`");
  return Status();
}

// A JWT-SVID for `spiffe_id` signed by a dev trust domain's issuer key (`mandate dev
// trust-domain`), as SPIRE's Workload API would hand one to the agent. Demos and tests only.
inline Result<std::string> MintDevSvid(const credential::SigningKey& issuer,
                                       const std::string& spiffe_id, const std::string& audience) {
  const int64_t now = SystemClock().NowSeconds();
  boost::json::object header{{"alg", credential::AlgorithmName(issuer.algorithm())},
                             {"kid", issuer.kid()},
                             {"typ", "JWT"}};
  boost::json::object claims{{"sub", spiffe_id},
                             {"aud", boost::json::array{boost::json::value(audience)}},
                             {"iat", now},
                             {"exp", now + 300}};
  return credential::SignCompact(issuer, json::Serialize(header), json::Serialize(claims));
}

struct AgentFiles {
  std::string dir = "mandate-agent";
  std::string KeyPath() const { return dir + "/key.json"; }
  std::string TokenPath(const std::string& task_id) const {
    return dir + "/tasks/" + task_id + ".token";
  }
};

// The agent's key; created on first use when `create` is set.
inline Result<credential::SigningKey> LoadAgentKey(const AgentFiles& files, bool create) {
  auto text = ReadTrimmedFile(files.KeyPath());
  if (text) return credential::SigningKey::FromJwkText(*text);
  if (!create) {
    return Err(NotFound("agent.no_key", "no agent key at `" + files.KeyPath() +
                                            "` (`mandate task start` creates it)"));
  }
  auto key = credential::SigningKey::Generate(credential::Algorithm::kEdDSA, "agent");
  if (!key) return Err(key.error());
  auto jwk = key->ToPrivateJwk();
  if (!jwk) return Err(jwk.error());
  MANDATE_RETURN_IF_ERROR(WriteSecretFile(files.KeyPath(), json::Serialize(*jwk)));
  return key;
}

// Who a request goes out as.
struct Caller {
  std::string authorization;                    // the whole header value; empty = none
  const credential::SigningKey* key = nullptr;  // set: add a DPoP proof
  std::string proof_token;                      // the token the proof's `ath` covers
};

// One exchange with the server. Answers with any HTTP status are returned (callers look at the
// status); transport failures are errors. The body must be JSON.
struct ServerAnswer {
  int status = 0;
  boost::json::value body;
};
// `tls`: the client certificate of an mTLS server, if it asks for one.
inline Result<ServerAnswer> CallServer(const std::string& server, const std::string& method,
                                       const std::string& path, const Caller& caller,
                                       const std::string& body = "",
                                       const http::ClientOptions& tls = {}) {
  if (!tls.client_cert_file.empty() && server.rfind("https://", 0) != 0) {
    // Plain HTTP has no handshake to present it in: the server would never see it.
    return Err(InvalidArgument("cli.usage", "a client certificate needs an https:// --server"));
  }
  http::ClientRequest request{.method = method, .url = server + path, .headers = {}, .body = body};
  if (!caller.authorization.empty())
    request.headers.emplace_back("Authorization", caller.authorization);
  if (caller.key != nullptr) {
    auto proof = credential::MintDpopProof(*caller.key, method, request.url,
                                           SystemClock().NowSeconds(), caller.proof_token);
    if (!proof) return Err(proof.error());
    request.headers.emplace_back("DPoP", *proof);
  }
  if (!body.empty()) request.headers.emplace_back("Content-Type", "application/json");
  auto response = http::Fetch(request, tls);
  if (!response) return Err(response.error());
  auto parsed = json::Parse(response->body);
  if (!parsed) {
    return Err(Internal("server.bad_answer", "`" + path + "` answered " +
                                                 std::to_string(response->status) +
                                                 " with a body that is not JSON"));
  }
  return ServerAnswer{response->status, std::move(*parsed)};
}

// Prints a server's answer as JSON on stdout; an HTTP error also goes to stderr as
// `code: message`. Returns the exit code: 0 for 2xx, 1 otherwise.
inline int PrintAnswer(std::string_view command, const ServerAnswer& answer) {
  std::cout << json::Serialize(answer.body) << "\n";
  if (answer.status >= 200 && answer.status < 300) return 0;
  const auto* error =
      answer.body.is_object() ? answer.body.as_object().if_contains("error") : nullptr;
  if (error != nullptr && error->is_object()) {
    const auto& e = error->as_object();
    std::cerr << "mandate " << command << ": " << answer.status << " "
              << (e.contains("code") ? json::Serialize(e.at("code")) : "") << ": "
              << (e.contains("message") ? json::Serialize(e.at("message")) : "") << "\n";
  }
  return 1;
}

}  // namespace mandate::cli
