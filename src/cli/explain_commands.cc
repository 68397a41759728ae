// `mandate explain`: why a call would be allowed or denied, stage by stage. Two modes, neither
// of which changes any state:
//   online   --task ID: asks the running server (POST /v1/explain, operator token) about a live
//            task, with its real progress, inputs, revocations and deadline;
//   offline  --mandate FILE [--progress STEP,...]: a mandate file and the steps a task already
//            did, replayed through the chain; no server, no store.
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include "src/authority/explain.h"
#include "src/cli/commands.h"
#include "src/cli/server_session.h"

namespace mandate::cli {
namespace {

struct ExplainOptions {
  std::string server = "http://127.0.0.1:8181";
  std::string admin_token_file = "mandate-data/admin.token";
  std::string task;
  std::string mandate_file, progress, inputs, agent = "spiffe://example.org/agent";
  int64_t now = 0;
  std::string system, action, resource, args;
  bool json = false;
};

std::string Text(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : "";
}

// One line per stage: `  chain      pass  ...`, then the decision.
void PrintStages(const boost::json::object& why) {
  if (const auto* stages = why.if_contains("stages"); stages && stages->is_array()) {
    for (const auto& s : stages->as_array()) {
      if (!s.is_object()) continue;
      const auto& o = s.as_object();
      std::string stage = Text(o, "stage"), result = Text(o, "result");
      stage.resize(std::max<size_t>(stage.size() + 1, 14), ' ');
      result.resize(std::max<size_t>(result.size() + 1, 15), ' ');
      std::cout << "  " << stage << result << Text(o, "detail");
      if (!Text(o, "rule").empty()) std::cout << "  [" << Text(o, "rule") << "]";
      std::cout << "\n";
    }
  }
}

Result<boost::json::object> ObjectOption(std::string_view name, const std::string& text) {
  if (text.empty()) return boost::json::object{};
  auto v = json::Parse(text);
  if (!v || !v->is_object())
    return Err(InvalidArgument("cli.usage", std::string(name) + " must be a JSON object"));
  return std::move(v->as_object());
}

Result<boost::json::object> Online(const ExplainOptions& o, boost::json::object args) {
  auto token = ReadTrimmedFile(o.admin_token_file);
  if (!token) return Err(token.error());
  boost::json::object body{{"task_id", o.task},
                           {"system", o.system},
                           {"action", o.action},
                           {"resource", o.resource},
                           {"args", std::move(args)}};
  auto answer = CallServer(o.server, "POST", "/v1/explain", {"Bearer " + *token, nullptr, ""},
                           json::Serialize(body));
  if (!answer) return Err(answer.error());
  if (answer->status != 200 || !answer->body.is_object()) {
    PrintAnswer("explain", *answer);
    return Err(Internal("explain.server", "the server refused to explain"));
  }
  return std::move(answer->body.as_object());
}

Result<boost::json::object> Offline(const ExplainOptions& o, const boost::json::object& args) {
  LoadResult loaded = LoadMandateFile(o.mandate_file);
  for (const Diagnostic& d : loaded.diagnostics) {
    if (d.severity == Severity::kError) std::cerr << d.ToString() << "\n";
  }
  if (!loaded.ok()) {
    return Err(InvalidArgument("mandate.invalid", "`" + o.mandate_file + "` is not valid"));
  }
  auto inputs = ObjectOption("--inputs", o.inputs);
  if (!inputs) return Err(inputs.error());
  authority::OfflineExplainRequest request{
      .mandate = loaded.mandate,
      .steps_done = {},
      .inputs = std::move(*inputs),
      .agent = o.agent,
      .call = {.system = o.system, .action = o.action, .resource = o.resource, .args = &args},
      .now_seconds = o.now ? o.now : SystemClock().NowSeconds()};
  std::stringstream steps(o.progress);
  for (std::string step; std::getline(steps, step, ',');) {
    if (!step.empty()) request.steps_done.push_back(step);
  }
  auto why = authority::ExplainOffline(request);
  if (!why) return Err(why.error());
  return authority::ExplanationJson(*why);
}

int Run(const ExplainOptions& o) {
  if (o.task.empty() == o.mandate_file.empty()) {
    return Fail("explain",
                InvalidArgument("cli.usage",
                                "give --task ID (ask the server) or --mandate FILE (offline)"));
  }
  auto args = ObjectOption("--args", o.args);
  if (!args) return Fail("explain", args.error());
  auto why = o.task.empty() ? Offline(o, *args) : Online(o, std::move(*args));
  if (!why) return Fail("explain", why.error());
  if (o.json) {
    std::cout << json::Serialize(*why) << "\n";
  } else {
    std::cout << "call `" << o.action << "` on `" << o.system << "` resource `" << o.resource << "`"
              << (o.task.empty() ? " (offline, mandate " + o.mandate_file + ")"
                                 : " for task " + o.task)
              << "\n";
    PrintStages(*why);
  }
  // The exit code tells what the call would get, as `mandate authorize` does.
  return Text(*why, "decision") == "allow" ? 0 : 1;
}

}  // namespace

void AddExplainCommand(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<ExplainOptions>();
  auto* cmd = app.add_subcommand(
      "explain", "why a call would be allowed or denied, stage by stage (changes nothing)");
  cmd->add_option("--task", o->task, "a live task on the server (operator)");
  cmd->add_option("--server", o->server, "URL of the running `mandate serve`")
      ->capture_default_str();
  cmd->add_option("--admin-token-file", o->admin_token_file, "the operator's token")
      ->capture_default_str();
  cmd->add_option("--mandate", o->mandate_file, "offline: a mandate file (YAML or JSON)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--progress", o->progress,
                  "offline: the steps the task already did, in order (comma-separated)");
  cmd->add_option("--inputs", o->inputs, "offline: the task inputs, a JSON object");
  cmd->add_option("--agent", o->agent, "offline: the agent id Cedar sees")->capture_default_str();
  cmd->add_option("--now", o->now, "offline: the time, in seconds since the epoch");
  cmd->add_option("--system", o->system, "the system called")->required();
  cmd->add_option("--action", o->action, "the action (HTTP method or MCP tool)")->required();
  cmd->add_option("--resource", o->resource, "the resource (path or target)");
  cmd->add_option("--args", o->args, "the call's arguments, a JSON object");
  cmd->add_flag("--json", o->json, "print the explanation as JSON");
  cmd->callback([o, &exit_code] { exit_code = Run(*o); });
}

}  // namespace mandate::cli
