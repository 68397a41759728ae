#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include "src/mandate/mandate.h"

namespace mandate {
namespace {

constexpr const char* kPayments = R"(name: payments
version: 1.0.0
owner: alice@example.com
agents:
  - spiffe_id: spiffe://example.org/agents/payer
systems:
  - name: bank
    kind: http
    audience: https://bank.example.org
    credential: {secret: bank-key, inject: bearer}
inputs:
  payee: string
  limit: {type: long, required: false}
steps:
  - id: balance
    system: bank
    actions: GET /balance
    resources: accounts/main
    reads: [financial]
  - id: pay
    system: bank
    actions: POST /payments
    resources: payees/{payee}
    args:
      amount: long
      payee: string
    guard: context.args.amount <= 1000 && context.args.payee == context.inputs.payee
    max_calls: 3
order:
  next:
    balance: [pay]
    pay: [pay]
limits:
  deadline: 10m
  max_calls: 10
)";

const Diagnostic* FindCode(const LoadResult& r, std::string_view code) {
  auto it = std::find_if(r.diagnostics.begin(), r.diagnostics.end(),
                         [&](const Diagnostic& d) { return d.code == code; });
  return it == r.diagnostics.end() ? nullptr : &*it;
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(LoaderTest, LoadsValidMandate) {
  LoadResult r = LoadMandateText(kPayments, "p.yaml");
  ASSERT_TRUE(r.ok()) << (r.diagnostics.empty() ? "" : r.diagnostics[0].ToString());
  EXPECT_EQ(r.ErrorCount(), 0u);
  const Mandate& m = *r.mandate;
  EXPECT_EQ(m.name, "payments");
  ASSERT_EQ(m.steps.size(), 2u);
  EXPECT_EQ(m.steps[1].args[0].type, ValueType::kLong);
  EXPECT_EQ(m.inputs[1].required, false);
  EXPECT_EQ(*m.steps[1].max_calls, 3u);
  EXPECT_EQ(*m.limits.deadline_seconds, 600);
  EXPECT_TRUE(m.order.sequenced);
  EXPECT_EQ(m.digest.substr(0, 7), "sha256:");
  EXPECT_EQ(m.digest.size(), 7u + 64u);
}

TEST(LoaderTest, NormalisedJsonRoundTripsWithTheSameDigest) {
  LoadResult yaml = LoadMandateText(kPayments, "p.yaml");
  ASSERT_TRUE(yaml.ok());
  const std::string json = ToNormalisedJson(*yaml.mandate);
  LoadResult again = LoadMandateText(json, "p.json", Format::kJson);
  ASSERT_TRUE(again.ok()) << again.diagnostics[0].ToString();
  EXPECT_EQ(again.mandate->digest, yaml.mandate->digest);
  EXPECT_EQ(ToNormalisedJson(*again.mandate), json);
}

TEST(LoaderTest, UnknownKeyHasLineAndColumn) {
  LoadResult r =
      LoadMandateText(Replace(kPayments, "    max_calls: 3", "    max_call: 3"), "p.yaml");
  EXPECT_FALSE(r.ok());
  const Diagnostic* d = FindCode(r, "mandate.unknown_key");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->where.file, "p.yaml");
  EXPECT_EQ(d->where.line, 28);
  EXPECT_EQ(d->where.column, 5);
  EXPECT_NE(d->message.find("`max_call`"), std::string::npos) << d->message;
  EXPECT_EQ(d->ToString().substr(0, 20), "p.yaml:28:5: error: ");
}

TEST(LoaderTest, CollectsAllErrors) {
  std::string text = Replace(kPayments, "    system: bank\n    actions: POST",
                             "    system: bnk\n    actions: POST");
  text = Replace(text, "owner: alice@example.com\n", "owner: alice@example.com\ncolour: blue\n");
  text = Replace(text, "pay: [pay]", "pay: [pya]");
  LoadResult r = LoadMandateText(text, "p.yaml");
  EXPECT_FALSE(r.ok());
  EXPECT_NE(FindCode(r, "mandate.unknown_key"), nullptr);
  EXPECT_NE(FindCode(r, "mandate.unknown_system"), nullptr);
  EXPECT_NE(FindCode(r, "order.unknown_step"), nullptr);
  EXPECT_GE(r.ErrorCount(), 3u);
}

TEST(LoaderTest, MisspeltGuardArgumentIsAnErrorAtItsColumn) {
  LoadResult r = LoadMandateText(
      Replace(kPayments, "context.args.amount <=", "context.args.amout <="), "p.yaml");
  EXPECT_FALSE(r.ok());
  const Diagnostic* d = FindCode(r, "guard.unknown_argument");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->where.line, 27);
  EXPECT_EQ(d->where.column, 25);  // the `amout` in `    guard: context.args.amout`
  EXPECT_EQ(d->message, "step `pay`: guard: unknown argument `amout` in `context.args.amout`");
}

TEST(LoaderTest, GuardInBlockScalarReportsItsLine) {
  std::string text = Replace(
      kPayments,
      "    guard: context.args.amount <= 1000 && context.args.payee == context.inputs.payee",
      "    guard: |\n      context.args.amount <= 1000 &&\n      context.inputs.payer == \"x\"");
  LoadResult r = LoadMandateText(text, "p.yaml");
  const Diagnostic* d = FindCode(r, "guard.unknown_input");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->where.line, 29);
  EXPECT_EQ(d->where.column, 22);
}

TEST(LoaderTest, StringsInGuardsAreNotReferences) {
  std::string text = Replace(kPayments, "context.args.payee == context.inputs.payee",
                             "context.args.payee != \"context.args.nothing\"");
  EXPECT_TRUE(LoadMandateText(text, "p.yaml").ok());
}

TEST(LoaderTest, BadReferencesInOrderLoopsAndPlaceholders) {
  std::string text = Replace(kPayments, "payees/{payee}", "payees/{payer}");
  text = Replace(text, "limits:", "  loops:\n    - {head: balance, max_iterations: 2}\nlimits:");
  LoadResult r = LoadMandateText(text, "p.yaml");
  EXPECT_NE(FindCode(r, "mandate.invalid_resource"), nullptr);
  EXPECT_NE(FindCode(r, "order.loop_without_cycle"), nullptr);
}

TEST(LoaderTest, TypeErrors) {
  std::string text = Replace(kPayments, "max_calls: 3", "max_calls: \"3\"");
  text = Replace(text, "deadline: 10m", "deadline: soon");
  text = Replace(text, "limit: {type: long", "limit: {type: float");
  LoadResult r = LoadMandateText(text, "p.yaml");
  EXPECT_NE(FindCode(r, "mandate.type"), nullptr);
  EXPECT_NE(FindCode(r, "mandate.invalid_duration"), nullptr);
  EXPECT_NE(FindCode(r, "mandate.invalid_value"), nullptr);
  EXPECT_EQ(r.ErrorCount(), 3u);
}

TEST(LoaderTest, DuplicateKeysAreRejected) {
  LoadResult r = LoadMandateText(
      Replace(kPayments, "version: 1.0.0\n", "version: 1.0.0\nversion: 2\n"), "p.yaml");
  const Diagnostic* d = FindCode(r, "mandate.duplicate_key");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->where.line, 3);
}

TEST(LoaderTest, MissingRequiredKeys) {
  LoadResult r = LoadMandateText("name: x\nversion: '1'\n", "m.yaml");
  EXPECT_FALSE(r.ok());
  EXPECT_NE(FindCode(r, "mandate.missing_key"), nullptr);
  EXPECT_EQ(r.ErrorCount(), 3u);  // owner, systems, steps
}

TEST(LoaderTest, WarningsForWildcardsDeadlineUnreachableAndUnboundedLoops) {
  std::string text = Replace(kPayments, "limits:\n  deadline: 10m\n  max_calls: 10\n", "");
  text = Replace(text, "max_calls: 3", "description: pays");
  text = Replace(text, "resources: accounts/main", "resources: accounts/*");
  text = Replace(text, "steps:\n",
                 "steps:\n  - {id: orphan, system: bank, actions: GET /x, resources: x}\n");
  text = Replace(text, "order:\n", "order:\n  start: [balance]\n");
  LoadResult r = LoadMandateText(text, "p.yaml");
  ASSERT_TRUE(r.ok()) << r.diagnostics[0].ToString();
  EXPECT_NE(FindCode(r, "limits.missing_deadline"), nullptr);
  EXPECT_NE(FindCode(r, "step.wildcard_resource"), nullptr);
  EXPECT_NE(FindCode(r, "order.unreachable_step"), nullptr);
  EXPECT_NE(FindCode(r, "order.unbounded_loop"), nullptr);
}

TEST(LoaderTest, DeclaredLoopBoundsTheCycle) {
  std::string text = Replace(kPayments, "  max_calls: 10\n", "");
  text = Replace(text, "max_calls: 3", "description: pays");
  text = Replace(text, "limits:", "  loops:\n    - {head: pay, max_iterations: 4}\nlimits:");
  LoadResult r = LoadMandateText(text, "p.yaml");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(FindCode(r, "order.unbounded_loop"), nullptr);
}

TEST(LoaderTest, JsonErrorsHaveLineAndColumn) {
  LoadResult r =
      LoadMandateText("{\n  \"name\": \"x\",\n  \"name\": \"y\"\n}", "m.json", Format::kJson);
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].code, "mandate.syntax");
  EXPECT_EQ(r.diagnostics[0].where.line, 3);
  EXPECT_NE(r.diagnostics[0].message.find("duplicate member"), std::string::npos);
}

TEST(LoaderTest, JsonUnknownKeyHasPosition) {
  LoadResult r = LoadMandateText(
      "{\"name\": \"x\", \"version\": \"1\", \"owner\": \"o\",\n \"systems\": [], \"steps\": [], "
      "\"stepz\": 1}",
      "m.json");
  const Diagnostic* d = FindCode(r, "mandate.unknown_key");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->where.line, 2);
  EXPECT_EQ(d->where.column, 30);
}

TEST(LoaderTest, PlannerStepsMustBeDelegable) {
  std::string text = kPayments;
  text += "planning:\n  role: planner\n";
  LoadResult r = LoadMandateText(text, "p.yaml");
  EXPECT_NE(FindCode(r, "planning.planner_step_not_delegable"), nullptr);
}

TEST(LoaderTest, VersionsCompareNumerically) {
  EXPECT_LT(CompareVersions("1.9.2", "1.10.0"), 0);
  EXPECT_GT(CompareVersions("2", "1.99"), 0);
  EXPECT_EQ(CompareVersions("1.0.0", "1.0.0"), 0);
  EXPECT_LT(CompareVersions("1.0", "1.0.1"), 0);
}

}  // namespace
}  // namespace mandate

namespace mandate {
namespace {

const Diagnostic* First(const LoadResult& r) {
  return r.diagnostics.empty() ? nullptr : &r.diagnostics[0];
}

TEST(HostileYamlTest, AliasBombStopsAtTheNodeBound) {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'j'; ++c) {
    bomb += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 10; ++i) bomb += std::string(i ? ", *" : "*") + prev;
    bomb += "]\n";
    prev = c;
  }
  LoadResult r = LoadMandateText(bomb, "bomb.yaml");
  ASSERT_FALSE(r.ok());
  ASSERT_NE(First(r), nullptr);
  EXPECT_EQ(First(r)->code, "mandate.too_many_nodes");
}

TEST(HostileYamlTest, DeepNestingIsRejected) {
  std::string deep = "name: " + std::string(200, '[') + std::string(200, ']') + "\n";
  LoadResult r = LoadMandateText(deep, "deep.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(First(r)->code, "mandate.too_deep");
  std::string deeper(100000, '[');
  r = LoadMandateText(deeper, "deeper.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.ErrorCount(), 1u);
}

TEST(HostileYamlTest, HugeScalarsAndDocumentsAreRejected) {
  LoadResult r = LoadMandateText("name: " + std::string(100000, 'x') + "\n", "big.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(First(r)->code, "mandate.scalar_too_large");
  r = LoadMandateText(std::string(2 << 20, ' '), "huge.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(First(r)->code, "mandate.too_large");
}

TEST(HostileYamlTest, InvalidUtf8AndNulBytesAreRejectedWithPosition) {
  LoadResult r = LoadMandateText("name: ok\nowner: \xC3\x28\n", "utf8.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(First(r)->code, "mandate.invalid_utf8");
  EXPECT_EQ(First(r)->where.line, 2);
  EXPECT_EQ(First(r)->where.column, 8);
  r = LoadMandateText("name: \xED\xA0\x80\n", "surrogate.yaml");  // encoded surrogate
  EXPECT_EQ(First(r)->code, "mandate.invalid_utf8");
  r = LoadMandateText(std::string("name: a\0b\n", 10), "nul.yaml");
  EXPECT_EQ(First(r)->code, "mandate.invalid_character");
}

TEST(HostileYamlTest, SyntaxErrorsAndOddDocuments) {
  LoadResult r = LoadMandateText("name: [unclosed\n", "bad.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(First(r)->code, "mandate.syntax");
  EXPECT_GT(First(r)->where.line, 0);
  r = LoadMandateText("", "empty.yaml");
  EXPECT_EQ(First(r)->code, "mandate.not_a_mapping");
  r = LoadMandateText("- a\n- b\n", "list.yaml");
  EXPECT_EQ(First(r)->code, "mandate.not_a_mapping");
  r = LoadMandateText("name: a\n---\nname: b\n", "two.yaml");
  EXPECT_EQ(First(r)->code, "mandate.multiple_documents");
  r = LoadMandateText("? [a, b]\n: c\n", "complex-key.yaml");
  EXPECT_FALSE(r.ok());
  r = LoadMandateText("{\"name\": \"x\"} trailing", "t.json", Format::kJson);
  EXPECT_EQ(First(r)->code, "mandate.syntax");
}

// Found by the fuzz run: yaml-cpp's LoadAll never returns on a stray leading flow indicator.
TEST(HostileYamlTest, StrayFlowIndicatorIsASyntaxErrorNotAHang) {
  for (const char* text : {",", ",\"a\":[1]", "]", "}", ",x]"}) {
    LoadResult r = LoadMandateText(text, "stray.yaml");
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(First(r)->code, "mandate.syntax") << text;
    EXPECT_EQ(First(r)->where.line, 1) << text;
  }
}

TEST(DirectoryTest, LoadsVersionsSideBySideAndRejectsConflicts) {
  const std::string dir = testing::TempDir() + "/mandates-dir-test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir + "/" + name) << text;
  };
  std::string v1 = kPayments;
  std::string v2 = Replace(kPayments, "version: 1.0.0", "version: 1.10.0");
  std::string v3 = Replace(kPayments, "version: 1.0.0", "version: 1.9.0");
  write("a.yaml", v1);
  write("b.yml", v2);
  write("c.yaml", v3);
  write("notes.txt", "not a mandate");
  MandateCatalog catalog = LoadMandateDirectory(dir);
  EXPECT_EQ(catalog.diagnostics.size(), 0u);
  ASSERT_EQ(catalog.mandates.size(), 3u);
  EXPECT_EQ(catalog.Find("payments")->version, "1.10.0");
  EXPECT_EQ(catalog.Find("payments", "1.9.0")->version, "1.9.0");
  EXPECT_EQ(catalog.Find("payments", "3"), nullptr);
  EXPECT_EQ(catalog.Find("other"), nullptr);
  EXPECT_NE(catalog.Find("payments", "1.0.0")->digest, catalog.Find("payments", "1.9.0")->digest);
  write("d.yaml", Replace(v3, "deadline: 10m", "deadline: 11m"));
  catalog = LoadMandateDirectory(dir);
  ASSERT_EQ(catalog.diagnostics.size(), 1u);
  EXPECT_EQ(catalog.diagnostics[0].code, "mandate.duplicate_version");
  std::filesystem::remove_all(dir);
}

TEST(ExamplesTest, EveryExampleMandateValidates) {
  MandateCatalog catalog = LoadMandateDirectory("examples/mandates");
  for (const auto& d : catalog.diagnostics) {
    EXPECT_NE(d.severity, Severity::kError) << d.ToString();
  }
  EXPECT_GE(catalog.mandates.size(), 5u);
  auto invoices = catalog.Find("invoice-processing");
  ASSERT_NE(invoices, nullptr);
  EXPECT_EQ(invoices->steps.size(), 10u);
  EXPECT_EQ(invoices->policies.size(), 20u);
}

}  // namespace
}  // namespace mandate
