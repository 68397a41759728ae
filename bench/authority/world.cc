#include "bench/authority/world.h"

#include <boost/json.hpp>
#include <random>
#include <thread>

#include "src/json/json.h"
#include "src/mandate/mandate.h"

namespace mandate::bench {

std::vector<BenchCall> InvoiceChain(int invoices) {
  std::vector<BenchCall> chain;
  chain.push_back({"erp", "GET", "/vendors/V-1/invoices", {}});
  for (int i = 1; i <= invoices; ++i) {
    const std::string inv = "INV-" + std::to_string(i);
    chain.push_back({"erp", "GET", "/vendors/V-1/invoices/" + inv, {}});
    if (i == 1) chain.push_back({"erp", "GET", "/vendors/V-1", {}});
    chain.push_back({"erp",
                     "GET",
                     "/purchase-orders/PO-" + std::to_string(i),
                     {{"po_number", "PO-" + std::to_string(i)}}});
    chain.push_back({"erp", "GET", "/budgets/2026-11", {}});
    chain.push_back({"erp",
                     "POST",
                     "/vendors/V-1/invoices/" + inv + "/approval",
                     {{"invoice_id", inv}, {"amount", 1200 + i}}});
    chain.push_back({"bank",
                     "POST",
                     "/payments",
                     {{"invoice_id", inv},
                      {"amount", 1200 + i},
                      {"currency", "EUR"},
                      {"iban", "DE89370400440532013000"}}});
    chain.push_back({"docs",
                     "write_file",
                     "archive/V-1/2026-11/" + inv + ".pdf",
                     {{"content", "paid " + inv}}});
  }
  chain.push_back({"mail",
                   "send_mail",
                   "ap@example.com",
                   {{"subject", "invoices paid"}, {"body", "all paid, see the archive"}}});
  return chain;
}

boost::json::object InvoiceInputs(int64_t variant) {
  return {{"vendor_id", "V-1"},
          {"vendor_iban", "DE89370400440532013000"},
          {"invoice_month", "2026-11"},
          {"max_total", 100000 + variant},
          {"approver", "boss@example.com"},
          {"notify", boost::json::array{"ap@example.com"}}};
}

Result<std::string> MintSvid(const credential::SigningKey& trust_key,
                             const std::string& spiffe_id) {
  const int64_t now = SystemClock().NowSeconds();
  boost::json::object header{{"alg", credential::AlgorithmName(trust_key.algorithm())},
                             {"kid", trust_key.kid()},
                             {"typ", "JWT"}};
  boost::json::object claims{
      {"sub", spiffe_id}, {"aud", boost::json::array{"mandate"}}, {"iat", now}, {"exp", now + 300}};
  return credential::SignCompact(trust_key, json::Serialize(header), json::Serialize(claims));
}

World::~World() {
  authority_.reset();
  audit_.reset();
  store_.reset();
}

Result<std::unique_ptr<World>> World::Open(const std::string& dir,
                                           const std::string& mandate_file) {
  std::unique_ptr<World> w(new World());
  auto store = store::OpenStore(dir);
  if (!store) return Err(store.error());
  w->store_ = std::move(*store);
  auto log = audit::AuditLog::Open(*w->store_, w->clock_);
  if (!log) return Err(log.error());
  w->audit_ = std::move(*log);
  // The issuer's keys live in memory here: persisting them is not on the decision path.
  w->key_store_ = credential::NewInMemorySigningKeyStore();
  auto keys = credential::KeyRing::Open(*w->key_store_, w->clock_);
  if (!keys) return Err(keys.error());
  w->keys_ = *keys;
  boost::json::object pub = w->trust_key_.public_key().ToJwk();
  pub["use"] = "jwt-svid";
  auto bundle = identity::ParseSpiffeBundle(
      "example.org", json::Serialize(boost::json::object{{"keys", boost::json::array{pub}}}));
  if (!bundle) return Err(bundle.error());
  w->bundles_.Set(std::move(*bundle));
  LoadResult loaded = LoadMandateFile(mandate_file);
  if (!loaded.ok()) {
    return Err(InvalidArgument("bench.mandate",
                               mandate_file + ": " +
                                   (loaded.diagnostics.empty() ? std::string("does not load")
                                                               : loaded.diagnostics[0].message)));
  }
  w->mandate_name_ = loaded.mandate->name;
  authority::Deps deps{.clock = &w->clock_,
                       .store = w->store_.get(),
                       .audit = w->audit_.get(),
                       .keys = w->keys_,
                       .bundles = &w->bundles_,
                       .oidc_issuers = {},
                       .mandates = {loaded.mandate},
                       .delegation_policies = {},
                       .user_entities = {},
                       .user_policies = {}};
  auto authority = authority::Authority::Open(std::move(deps));
  if (!authority) return Err(authority.error());
  w->authority_ = std::move(*authority);
  return w;
}

Result<std::vector<authority::StartedTask>> World::Start(size_t count, size_t keep) {
  auto svid = MintSvid(trust_key_, kAgent);
  if (!svid) return Err(svid.error());
  // Two starters: signing the task tokens (one Ed25519 signature each) is most of the cost
  // and runs beside the other's store transaction.
  constexpr size_t kStarters = 2;
  std::vector<std::vector<authority::StartedTask>> kept(kStarters);
  std::vector<Status> failures(kStarters);
  std::vector<std::thread> starters;
  for (size_t s = 0; s < kStarters; ++s) {
    starters.emplace_back([&, s] {
      const size_t mine = count / kStarters + (s < count % kStarters ? 1 : 0);
      const size_t keep_mine = keep / kStarters + (s < keep % kStarters ? 1 : 0);
      const std::string url = "http://127.0.0.1/v1/tasks";
      std::mt19937_64 random(42 + s);
      size_t seen = 0;
      while (seen < mine) {
        // Batches of 1,000 tasks, each with its own inputs: tasks do not all share one inputs
        // record (the authority memoises Cedar values by content, and real tasks differ).
        const size_t n = std::min<size_t>(mine - seen, 1000);
        auto proof = credential::MintDpopProof(agent_key_, "POST", url, clock_.NowSeconds());
        if (!proof) return void(failures[s] = proof.error());
        auto started = authority_->StartTasks(
            {.bootstrap_token = *svid,
             .proof = {.dpop = *proof, .method = "POST", .url = url},
             .mandate = mandate_name_,
             .version = {},
             .inputs = InvoiceInputs(static_cast<int64_t>(s * count + seen))},
            n);
        if (!started) return void(failures[s] = started.error());
        for (auto& t : *started) {  // reservoir sampling
          ++seen;
          if (kept[s].size() < keep_mine) {
            kept[s].push_back(std::move(t));
          } else if (size_t j = random() % seen; j < keep_mine) {
            kept[s][j] = std::move(t);
          }
        }
      }
    });
  }
  for (auto& t : starters) t.join();
  std::vector<authority::StartedTask> all;
  for (size_t s = 0; s < kStarters; ++s) {
    if (!failures[s].ok()) return Err(failures[s]);
    for (auto& t : kept[s]) all.push_back(std::move(t));
  }
  return all;
}

}  // namespace mandate::bench
