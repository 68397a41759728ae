// `mandate dev trust-domain` (a local JWT-SVID issuer for demos and tests) and `mandate demo`
// (a scripted agent that shows a chain allowed step by step, a deviation denied and revoked,
// and a deadline expiring), over the real HTTP API.
#include <sys/stat.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "src/cli/commands.h"
#include "src/cli/server_session.h"
#include "src/credential/credential.h"
#include "src/http/client.h"
#include "src/json/json.h"

namespace mandate::cli {
namespace {

// The demo agent: its own key (the DPoP key), a server URL and a few calls.
class DemoAgent {
 public:
  DemoAgent(std::string server, credential::SigningKey key)
      : server_(std::move(server)), key_(std::move(key)) {}

  Result<boost::json::object> Post(const std::string& path, const boost::json::object& body,
                                   const std::string& authorization,
                                   const std::string& token_for_ath) {
    const std::string url = server_ + path;
    auto proof =
        credential::MintDpopProof(key_, "POST", url, SystemClock().NowSeconds(), token_for_ath);
    if (!proof) return Err(proof.error());
    http::ClientRequest request{.method = "POST",
                                .url = url,
                                .headers = {{"Authorization", authorization},
                                            {"DPoP", *proof},
                                            {"Content-Type", "application/json"}},
                                .body = json::Serialize(body)};
    auto response = http::Fetch(request);
    if (!response) return Err(response.error());
    auto parsed = json::Parse(response->body);
    if (!parsed || !parsed->is_object()) {
      return Err(
          Internal("demo.bad_answer", "server answered " + std::to_string(response->status)));
    }
    return std::move(parsed->as_object());
  }

  std::string task_token;

 private:
  std::string server_;
  credential::SigningKey key_;
};

std::string Str(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : "";
}

void PrintDecision(const std::string& what, const boost::json::object& answer) {
  std::cout << "  " << what << " -> " << Str(answer, "decision");
  if (!Str(answer, "step").empty()) std::cout << " (step `" << Str(answer, "step") << "`)";
  if (const auto* reasons = answer.if_contains("reasons"); reasons && reasons->is_array()) {
    for (const auto& r : reasons->as_array()) {
      if (r.is_object())
        std::cout << "\n      " << Str(r.as_object(), "code") << ": "
                  << Str(r.as_object(), "message");
    }
  }
  if (const auto* e = answer.if_contains("error"); e && e->is_object()) {
    std::cout << "error " << Str(e->as_object(), "code") << ": " << Str(e->as_object(), "message");
  }
  if (answer.contains("task_revoked")) std::cout << "\n      the task was revoked";
  std::cout << "\n";
}

int RunDemo(const std::string& server, const std::string& trust_key_file,
            const std::string& spiffe_id) {
  auto key_text = ReadTrimmedFile(trust_key_file);
  if (!key_text) return std::cerr << key_text.error().ToString() << "\n", 1;
  auto issuer_key = credential::SigningKey::FromJwkText(*key_text);
  if (!issuer_key) return std::cerr << issuer_key.error().ToString() << "\n", 1;
  auto svid = MintDevSvid(*issuer_key, spiffe_id, "mandate");
  if (!svid) return std::cerr << svid.error().ToString() << "\n", 1;
  auto agent_key = credential::SigningKey::Generate(credential::Algorithm::kEdDSA, "agent");
  if (!agent_key) return std::cerr << agent_key.error().ToString() << "\n", 1;
  DemoAgent agent(server, *agent_key);

  auto start = [&](const std::string& mandate, boost::json::object inputs) -> Result<std::string> {
    auto task = agent.Post("/v1/tasks", {{"mandate", mandate}, {"inputs", std::move(inputs)}},
                           "Bearer " + *svid, *svid);
    if (!task) return Err(task.error());
    if (Str(*task, "task_token").empty()) {
      PrintDecision("start task", *task);
      return Err(Internal("demo.start", "the task did not start"));
    }
    agent.task_token = Str(*task, "task_token");
    std::cout << "started task " << Str(*task, "task_id") << " under mandate `" << mandate
              << "` as " << spiffe_id << "\n";
    return Str(*task, "task_id");
  };
  auto call = [&](const std::string& what, boost::json::object call) {
    auto answer = agent.Post("/v1/authorize", call, "DPoP " + agent.task_token, agent.task_token);
    if (!answer) {
      std::cout << "  " << what << " -> " << answer.error().ToString() << "\n";
      return std::string();
    }
    PrintDecision(what, *answer);
    return Str(*answer, "decision");
  };

  std::cout << "\n== 1. a chain allowed step by step (mandate `payments`)\n";
  auto task = start("payments", {{"payee", "acme"}, {"cap", 500}});
  if (!task) return std::cerr << task.error().ToString() << "\n", 1;
  int failures = 0;
  failures +=
      call("GET /accounts/main/balance",
           {{"system", "bank"}, {"action", "GET"}, {"resource", "/accounts/main/balance"}}) !=
      "allow";
  failures += call("POST /payees/acme/payments 120",
                   {{"system", "bank"},
                    {"action", "POST"},
                    {"resource", "/payees/acme/payments"},
                    {"args", {{"amount", 120}, {"reference", "invoice 7"}}}}) != "allow";
  failures +=
      call("GET /accounts/main/balance",
           {{"system", "bank"}, {"action", "GET"}, {"resource", "/accounts/main/balance"}}) !=
      "allow";

  std::cout << "\n== 2. a deviation: paying someone the human did not name\n";
  failures += call("POST /payees/mallory/payments 90",
                   {{"system", "bank"},
                    {"action", "POST"},
                    {"resource", "/payees/mallory/payments"},
                    {"args", {{"amount", 90}, {"reference", "urgent"}}}}) != "deny";
  std::cout << "  the revoked task's next call:\n";
  failures +=
      call("GET /accounts/main/balance",
           {{"system", "bank"}, {"action", "GET"}, {"resource", "/accounts/main/balance"}}) !=
      "deny";

  std::cout << "\n== 3. a deadline expiring (mandate `demo-deadline`, deadline 2 s)\n";
  auto short_task = start("demo-deadline", {});
  if (!short_task) return std::cerr << short_task.error().ToString() << "\n", 1;
  failures += call("GET /status",
                   {{"system", "status"}, {"action", "GET"}, {"resource", "/status"}}) != "allow";
  std::cout << "  waiting 3 s without calling: the server expires the task by itself\n";
  std::this_thread::sleep_for(std::chrono::seconds(3));
  failures += call("GET /status",
                   {{"system", "status"}, {"action", "GET"}, {"resource", "/status"}}) != "deny";
  std::cout << "\n"
            << (failures == 0 ? "demo: every decision was as expected\n"
                              : "demo: UNEXPECTED decisions\n");
  return failures == 0 ? 0 : 1;
}

int RunTrustDomain(const std::string& trust_domain, const std::string& out_dir) {
  std::filesystem::create_directories(out_dir);
  const std::string key_path = out_dir + "/svid-issuer.key.json";
  auto existing = ReadTrimmedFile(key_path);
  Result<credential::SigningKey> key =
      existing
          ? credential::SigningKey::FromJwkText(*existing)
          : credential::SigningKey::Generate(credential::Algorithm::kES256, trust_domain + "-1");
  if (!key) return std::cerr << key.error().ToString() << "\n", 1;
  if (!existing) {
    auto jwk = key->ToPrivateJwk();
    if (!jwk) return std::cerr << jwk.error().ToString() << "\n", 1;
    std::ofstream(key_path) << json::Serialize(*jwk) << "\n";
    chmod(key_path.c_str(), 0600);
  }
  boost::json::object pub = key->public_key().ToJwk();
  pub["use"] = "jwt-svid";
  std::ofstream(out_dir + "/bundle.json")
      << json::Serialize(boost::json::object{{"keys", boost::json::array{pub}}}) << "\n";
  std::cout << "trust domain " << trust_domain << ": " << out_dir << "/bundle.json (bundle), "
            << key_path << " (issuer key)\n";
  return 0;
}

}  // namespace

void AddAgentCommands(CLI::App& app, int& exit_code) {
  auto* dev = app.add_subcommand("dev", "development helpers (never for production)");
  dev->require_subcommand(1);
  auto* td =
      dev->add_subcommand("trust-domain", "create a local JWT-SVID issuer and its trust bundle");
  auto td_name = std::make_shared<std::string>("example.org");
  auto td_out = std::make_shared<std::string>("mandate-data/trust");
  td->add_option("--trust-domain", *td_name, "the trust domain")->capture_default_str();
  td->add_option("--out", *td_out, "output folder")->capture_default_str();
  td->callback([td_name, td_out, &exit_code] { exit_code = RunTrustDomain(*td_name, *td_out); });

  auto* demo = app.add_subcommand("demo", "run the demo agent against a running server");
  auto server = std::make_shared<std::string>("http://127.0.0.1:8181");
  auto trust_key = std::make_shared<std::string>("mandate-data/trust/svid-issuer.key.json");
  auto spiffe = std::make_shared<std::string>("spiffe://example.org/agents/payments/demo");
  demo->add_option("--server", *server, "authority URL")->capture_default_str();
  demo->add_option("--trust-key", *trust_key, "the dev trust domain's issuer key")
      ->capture_default_str();
  demo->add_option("--spiffe-id", *spiffe, "the agent's SPIFFE ID")->capture_default_str();
  demo->callback([server, trust_key, spiffe, &exit_code] {
    exit_code = RunDemo(*server, *trust_key, *spiffe);
  });
}

}  // namespace mandate::cli
