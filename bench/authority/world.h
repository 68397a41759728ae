// The pieces a benchmark of the authority needs, real ones throughout: a SQLite store and its
// group-committing audit log in a fresh folder on disk, the issuer's Ed25519 key ring, a SPIFFE
// trust domain whose JWT-SVID key the benchmark holds (as SPIRE would), one agent with its own
// DPoP key, and the realistic mandate of examples/mandates/invoice-processing.yaml (10 steps, 20
// Cedar policies) with the chain of calls one invoice run makes.
// Thread-safety: built on one thread; Authority itself is thread-safe.
#pragma once

#include <boost/json/object.hpp>
#include <memory>
#include <string>
#include <vector>

#include "src/audit/audit.h"
#include "src/authority/authority.h"
#include "src/credential/credential.h"
#include "src/identity/identity.h"
#include "src/store/store.h"
#include "src/util/clock.h"

namespace mandate::bench {

// One tool call of the invoice chain.
struct BenchCall {
  std::string system, action, resource;
  boost::json::object args;
};

// Every call of one invoice run, all allowed in this order: list, then `invoices` times
// (get, [vendor on the first], match PO, budget, approve, pay, archive), then notify. With
// invoices = 9 that is 57 calls, within the mandate's budgets (80 calls, 10 payments).
std::vector<BenchCall> InvoiceChain(int invoices = 9);

// The inputs a benchmark task starts with (the chain above fits every variant).
boost::json::object InvoiceInputs(int64_t variant = 0);  // `variant` changes max_total

// A JWT-SVID for `spiffe_id`, audience `mandate`, valid five minutes.
Result<std::string> MintSvid(const credential::SigningKey& trust_key, const std::string& spiffe_id);

class World {
 public:
  // `dir` must exist and be empty; `mandate_file` is the YAML to load.
  static Result<std::unique_ptr<World>> Open(const std::string& dir,
                                             const std::string& mandate_file);
  ~World();

  // Starts `count` tasks for the agent (batched as the authority allows) and returns `keep` of
  // them drawn uniformly at random (holding a million task tokens would swell the memory the
  // benchmark attributes to live tasks).
  Result<std::vector<authority::StartedTask>> Start(size_t count, size_t keep);

  authority::Authority& authority() { return *authority_; }
  audit::AuditLog& audit() { return *audit_; }
  const credential::SigningKey& agent_key() const { return agent_key_; }
  const std::string& mandate_name() const { return mandate_name_; }

  static constexpr const char* kAgent = "spiffe://example.org/agents/invoice-bot";

 private:
  World() = default;
  SystemClock clock_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<credential::SigningKeyStore> key_store_;
  std::shared_ptr<credential::KeyRing> keys_;
  identity::TrustBundles bundles_;
  std::unique_ptr<authority::Authority> authority_;
  credential::SigningKey trust_key_ =
      *credential::SigningKey::Generate(credential::Algorithm::kES256, "bench-trust-1");
  credential::SigningKey agent_key_ =
      *credential::SigningKey::Generate(credential::Algorithm::kEdDSA, "agent");
  std::string mandate_name_;
};

}  // namespace mandate::bench
