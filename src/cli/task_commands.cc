// `mandate task start|status|complete|fail|revoke` and `mandate authorize`: an agent's task
// over the HTTP API of a running `mandate serve` (docs/cli.md). They are clients, never a second
// authority: every decision and lifecycle change is the server's, audited there. The agent's
// key and task tokens are kept in `--agent-dir` (src/cli/server_session.h); operator commands
// read the admin token file.
#include <iostream>
#include <memory>
#include <string>

#include "src/cli/commands.h"
#include "src/cli/server_session.h"

namespace mandate::cli {
namespace {

struct ServerOptions {
  std::string server = "http://127.0.0.1:8181";
  AgentFiles agent;
  std::string admin_token_file = "mandate-data/admin.token";
  http::ClientOptions tls;  // the client certificate for an mTLS server
};

void AddServerOptions(CLI::App& cmd, ServerOptions& o, bool agent, bool admin) {
  cmd.add_option("--server", o.server, "URL of the running `mandate serve`")->capture_default_str();
  auto* cert = cmd.add_option("--tls-client-cert", o.tls.client_cert_file,
                              "client certificate (PEM) for a server that requires mTLS; for "
                              "`task start` without a token, the agent's X.509-SVID");
  auto* key = cmd.add_option("--tls-client-key", o.tls.client_key_file,
                             "the private key (PEM) of --tls-client-cert");
  cert->needs(key);
  key->needs(cert);
  if (agent) {
    cmd.add_option("--agent-dir", o.agent.dir, "the agent's key and task tokens")
        ->capture_default_str();
  }
  if (admin) {
    cmd.add_option("--admin-token-file", o.admin_token_file, "the operator's token")
        ->capture_default_str();
  }
}

Result<boost::json::object> ParseObjectOption(std::string_view option, const std::string& text) {
  if (text.empty()) return boost::json::object{};
  auto value = json::Parse(text);
  if (!value || !value->is_object()) {
    return Err(InvalidArgument("cli.usage", std::string(option) + " must be a JSON object"));
  }
  return std::move(value->as_object());
}

// The agent of task `task_id`: its key, and its task token as the DPoP-bound credential.
struct AgentCaller {
  credential::SigningKey key;
  Caller caller;
};
Result<std::unique_ptr<AgentCaller>> AgentOf(const AgentFiles& files, const std::string& task_id) {
  auto key = LoadAgentKey(files, false);
  if (!key) return Err(key.error());
  auto token = ReadTrimmedFile(files.TokenPath(task_id));
  if (!token) {
    return Err(NotFound("agent.no_task_token",
                        "no task token for `" + task_id + "` in `" + files.dir + "`"));
  }
  auto out = std::unique_ptr<AgentCaller>(new AgentCaller{std::move(*key), {}});
  out->caller = {"DPoP " + *token, &out->key, *token};
  return out;
}

Result<Caller> OperatorCaller(const ServerOptions& o) {
  auto token = ReadTrimmedFile(o.admin_token_file);
  if (!token) return Err(token.error());
  return Caller{"Bearer " + *token, nullptr, ""};
}

struct StartOptions {
  ServerOptions server;
  std::string mandate, version, inputs;
  std::string bootstrap_token_file;  // a JWT-SVID or OIDC token
  std::string dev_trust_key, spiffe_id;
};

int Start(const StartOptions& o) {
  auto inputs = ParseObjectOption("--inputs", o.inputs);
  if (!inputs) return Fail("task start", inputs.error());
  Result<std::string> bootstrap =
      Err(InvalidArgument("cli.usage",
                          "give --bootstrap-token-file, --dev-trust-key with --spiffe-id, or "
                          "--tls-client-cert with the agent's X.509-SVID"));
  if (!o.bootstrap_token_file.empty()) {
    bootstrap = ReadTrimmedFile(o.bootstrap_token_file);
  } else if (!o.dev_trust_key.empty() && !o.spiffe_id.empty()) {
    auto text = ReadTrimmedFile(o.dev_trust_key);
    if (!text) return Fail("task start", text.error());
    auto issuer = credential::SigningKey::FromJwkText(*text);
    if (!issuer) return Fail("task start", issuer.error());
    bootstrap = MintDevSvid(*issuer, o.spiffe_id, "mandate");
  } else if (!o.server.tls.client_cert_file.empty()) {
    bootstrap = std::string();  // the X.509-SVID of the connection says who the agent is
  }
  if (!bootstrap) return Fail("task start", bootstrap.error());
  auto key = LoadAgentKey(o.server.agent, true);
  if (!key) return Fail("task start", key.error());
  boost::json::object body{{"mandate", o.mandate}, {"inputs", std::move(*inputs)}};
  if (!o.version.empty()) body["version"] = o.version;
  auto answer = CallServer(o.server.server, "POST", "/v1/tasks",
                           {bootstrap->empty() ? "" : "Bearer " + *bootstrap, &*key, ""},
                           json::Serialize(body), o.server.tls);
  if (!answer) return Fail("task start", answer.error());
  if (answer->status == 201 && answer->body.is_object()) {
    // The token is a secret: it goes to the agent's folder, not to the terminal.
    auto& started = answer->body.as_object();
    const auto* id = started.if_contains("task_id");
    const auto* token = started.if_contains("task_token");
    if (id == nullptr || token == nullptr || !id->is_string() || !token->is_string()) {
      return Fail("task start", Internal("server.bad_answer", "no task id or token"));
    }
    const std::string path = o.server.agent.TokenPath(std::string(id->as_string()));
    if (Status s = WriteSecretFile(path, std::string(token->as_string())); !s.ok())
      return Fail("task start", s);
    started.erase("task_token");
    started["task_token_file"] = path;
  }
  return PrintAnswer("task start", *answer);
}

// status / complete / fail: as the task's agent, or as the operator with --operator.
int TaskCall(std::string_view command, const ServerOptions& o, const std::string& method,
             const std::string& task_id, const std::string& suffix, bool as_operator,
             const std::string& body) {
  std::unique_ptr<AgentCaller> agent;
  Caller caller;
  if (as_operator) {
    auto op = OperatorCaller(o);
    if (!op) return Fail(command, op.error());
    caller = *op;
  } else {
    auto a = AgentOf(o.agent, task_id);
    if (!a) return Fail(command, a.error());
    agent = std::move(*a);
    caller = agent->caller;
  }
  auto answer = CallServer(o.server, method, "/v1/tasks/" + task_id + suffix, caller, body, o.tls);
  if (!answer) return Fail(command, answer.error());
  return PrintAnswer(command, *answer);
}

int Revoke(const ServerOptions& o, const std::string& task_id, const std::string& reason) {
  auto op = OperatorCaller(o);
  if (!op) return Fail("task revoke", op.error());
  boost::json::object body{{"scope", "task"}, {"value", task_id}};
  if (!reason.empty()) body["reason"] = reason;
  auto answer = CallServer(o.server, "POST", "/v1/revocations", *op, json::Serialize(body), o.tls);
  if (!answer) return Fail("task revoke", answer.error());
  return PrintAnswer("task revoke", *answer);
}

struct CallOptions {
  ServerOptions server;
  std::string task, system, action, resource, args;
  bool no_credential = false;
};

// Exit 0 only for an allow: a shell can branch on the decision.
int Authorize(const CallOptions& o) {
  auto args = ParseObjectOption("--args", o.args);
  if (!args) return Fail("authorize", args.error());
  auto agent = AgentOf(o.server.agent, o.task);
  if (!agent) return Fail("authorize", agent.error());
  boost::json::object body{{"system", o.system},
                           {"action", o.action},
                           {"resource", o.resource},
                           {"args", std::move(*args)}};
  if (o.no_credential) body["credential"] = false;
  auto answer = CallServer(o.server.server, "POST", "/v1/authorize", (*agent)->caller,
                           json::Serialize(body), o.server.tls);
  if (!answer) return Fail("authorize", answer.error());
  const int code = PrintAnswer("authorize", *answer);
  const auto* decision =
      answer->body.is_object() ? answer->body.as_object().if_contains("decision") : nullptr;
  return code == 0 && decision != nullptr && decision->is_string() &&
                 decision->as_string() == "allow"
             ? 0
             : 1;
}

}  // namespace

void AddTaskCommands(CLI::App& app, int& exit_code) {
  auto* task = app.add_subcommand("task", "start and manage a task on a running server");
  task->require_subcommand(1);

  auto start = std::make_shared<StartOptions>();
  auto* s = task->add_subcommand("start", "start a task as an agent (prints the task id)");
  AddServerOptions(*s, start->server, true, false);
  s->add_option("--mandate", start->mandate, "the mandate to run")->required();
  s->add_option("--version", start->version, "mandate version (default: the highest)");
  s->add_option("--inputs", start->inputs, R"(task inputs, a JSON object: {"payee":"acme"})");
  auto* token = s->add_option("--bootstrap-token-file", start->bootstrap_token_file,
                              "the agent's JWT-SVID or OIDC token");
  auto* dev = s->add_option("--dev-trust-key", start->dev_trust_key,
                            "mint a JWT-SVID with a `mandate dev trust-domain` key (demos)");
  s->add_option("--spiffe-id", start->spiffe_id, "the agent's SPIFFE ID (with --dev-trust-key)");
  token->excludes(dev);
  s->callback([start, &exit_code] { exit_code = Start(*start); });

  struct LifecycleOptions {
    ServerOptions server;
    std::string task_id, reason;
    bool as_operator = false;
  };
  for (const char* name : {"status", "complete", "fail"}) {
    const std::string verb = name;
    auto o = std::make_shared<LifecycleOptions>();
    auto* c = task->add_subcommand(verb, verb == "status" ? "show a task's state and progress"
                                         : verb == "complete"
                                             ? "complete a task (revokes it and what it delegated)"
                                             : "fail a task (revokes it and what it delegated)");
    AddServerOptions(*c, o->server, true, true);
    c->add_option("task_id", o->task_id, "the task")->required();
    c->add_flag("--operator", o->as_operator, "act as the operator (admin token), not the agent");
    if (verb != "status") c->add_option("--reason", o->reason, "why, for the audit trail");
    c->callback([o, verb, &exit_code] {
      const std::string body =
          o->reason.empty() ? "" : json::Serialize(boost::json::object{{"reason", o->reason}});
      exit_code = TaskCall("task " + verb, o->server, verb == "status" ? "GET" : "POST", o->task_id,
                           verb == "status" ? "" : "/" + verb, o->as_operator, body);
    });
  }

  auto revoke = std::make_shared<LifecycleOptions>();
  auto* r = task->add_subcommand("revoke", "revoke a task and every task it delegated (operator)");
  AddServerOptions(*r, revoke->server, false, true);
  r->add_option("task_id", revoke->task_id, "the task")->required();
  r->add_option("--reason", revoke->reason, "why, for the audit trail");
  r->callback([revoke, &exit_code] {
    exit_code = Revoke(revoke->server, revoke->task_id, revoke->reason);
  });

  auto call = std::make_shared<CallOptions>();
  auto* a = app.add_subcommand(
      "authorize", "decide one tool call of a task on the server, as its agent (exit 0 = allow)");
  AddServerOptions(*a, call->server, true, false);
  a->add_option("--task", call->task, "the task id")->required();
  a->add_option("--system", call->system, "the system called")->required();
  a->add_option("--action", call->action, "the action (HTTP method or MCP tool)")->required();
  a->add_option("--resource", call->resource, "the resource (path or target)");
  a->add_option("--args", call->args, "the call's arguments, a JSON object");
  a->add_flag("--no-credential", call->no_credential, "do not mint a step credential");
  a->callback([call, &exit_code] { exit_code = Authorize(*call); });
}

}  // namespace mandate::cli
