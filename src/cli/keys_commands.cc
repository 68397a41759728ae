// `mandate keys list|rotate`: the issuer's signing keys in a server's data folder (the store
// `mandate serve --data DIR` uses). A running server adopts a rotation within a minute (its
// key ring re-reads the store on every rotation tick); the previous key stays published at
// /.well-known/jwks.json for the overlap window, so credentials it signed still verify.
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <limits>

#include "src/cli/commands.h"
#include "src/credential/credential.h"
#include "src/server/server.h"

namespace mandate::cli {
namespace {

struct KeysArgs {
  std::string data_dir = "mandate-data";
  std::string store_url;
  std::string algorithm = "EdDSA";
  int64_t overlap_seconds = 3600;
  bool jwks = false;
};

std::string Utc(int64_t seconds) {
  if (seconds == 0) return "-";
  const std::time_t t = seconds;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

void AddStoreOptions(CLI::App* cmd, KeysArgs& args) {
  cmd->add_option("--data", args.data_dir, "the server's data folder (store, master key)")
      ->capture_default_str();
  cmd->add_option("--store", args.store_url, "store URL when not the data folder's SQLite");
}

int List(const KeysArgs& args) {
  auto store = server::OpenDataStore(args.data_dir, args.store_url);
  if (!store) {
    std::cerr << "mandate keys list: " << store.error().ToString() << "\n";
    return 1;
  }
  auto key_store = server::NewStoreSigningKeyStore(**store);
  auto stored = key_store->LoadSigningKeys();
  if (!stored) {
    std::cerr << "mandate keys list: " << stored.error().ToString() << "\n";
    return 1;
  }
  // Newest first; the newest signs, the others are published until they retire.
  std::sort(stored->begin(), stored->end(),
            [](const auto& a, const auto& b) { return a.created_at > b.created_at; });
  credential::KeySet published;
  const int64_t now = SystemClock().NowSeconds();
  if (!args.jwks) {
    if (stored->empty())
      std::cout << "no signing keys yet (`mandate keys rotate` creates one)\n";
    else
      std::cout << "kid                alg    created               retires               state\n";
  }
  for (size_t i = 0; i < stored->size(); ++i) {
    const auto& k = (*stored)[i];
    auto key = credential::SigningKey::FromJwkText(k.private_jwk);
    if (!key) {
      std::cerr << "mandate keys list: key `" << k.kid << "`: " << key.error().ToString() << "\n";
      return 1;
    }
    published.Add(key->public_key());
    if (args.jwks) continue;
    const std::string state = i == 0              ? "active (signs new credentials)"
                              : k.retire_at > now ? "published (overlap)"
                              : k.retire_at != 0  ? "retired (dropped at the next tick)"
                                                  : "published";
    std::printf("%-18s %-6s %-21s %-21s %s\n", k.kid.c_str(),
                std::string(credential::AlgorithmName(key->algorithm())).c_str(),
                Utc(k.created_at).c_str(), Utc(k.retire_at).c_str(), state.c_str());
  }
  if (args.jwks) std::cout << published.ToJwksJson() << "\n";
  return 0;
}

int Rotate(const KeysArgs& args) {
  credential::KeyRingOptions options;
  if (args.algorithm == "EdDSA") {
    options.algorithm = credential::Algorithm::kEdDSA;
  } else if (args.algorithm == "ES256") {
    options.algorithm = credential::Algorithm::kES256;
  } else {
    std::cerr << "mandate keys rotate: --algorithm `" << args.algorithm
              << "`: the issuer signs with EdDSA or ES256\n";
    return 2;
  }
  if (args.overlap_seconds < 0) {
    std::cerr << "mandate keys rotate: --overlap must not be negative\n";
    return 2;
  }
  options.overlap_seconds = args.overlap_seconds;
  // Opening must not rotate on its own schedule: this command rotates exactly once.
  options.rotation_period_seconds = std::numeric_limits<int64_t>::max() / 2;
  auto store = server::OpenDataStore(args.data_dir, args.store_url);
  if (!store) {
    std::cerr << "mandate keys rotate: " << store.error().ToString() << "\n";
    return 1;
  }
  auto key_store = server::NewStoreSigningKeyStore(**store);
  auto before = key_store->LoadSigningKeys();
  if (!before) {
    std::cerr << "mandate keys rotate: " << before.error().ToString() << "\n";
    return 1;
  }
  SystemClock clock;
  auto ring = credential::KeyRing::Open(*key_store, clock, options);  // creates a first key
  if (!ring) {
    std::cerr << "mandate keys rotate: " << ring.error().ToString() << "\n";
    return 1;
  }
  const std::string previous = before->empty() ? "" : (*ring)->Active()->key.kid();
  if (!before->empty()) {
    if (Status s = (*ring)->Rotate(); !s.ok()) {
      std::cerr << "mandate keys rotate: " << s.ToString() << "\n";
      return 1;
    }
  }
  std::cout << "active key: " << (*ring)->Active()->key.kid() << " ("
            << credential::AlgorithmName((*ring)->Active()->key.algorithm()) << ")\n";
  if (!previous.empty()) {
    std::cout << "previous key " << previous << " stays published until "
              << Utc(clock.NowSeconds() + options.overlap_seconds) << "\n";
  }
  return 0;
}

}  // namespace

void AddKeysCommands(CLI::App& app, int& exit_code) {
  auto* keys = app.add_subcommand("keys", "the issuer's signing keys (rotation, JWKS)");
  keys->require_subcommand(1);
  auto list_args = std::make_shared<KeysArgs>();
  auto* list = keys->add_subcommand("list", "list signing keys: active, published, retired");
  AddStoreOptions(list, *list_args);
  list->add_flag("--jwks", list_args->jwks,
                 "print the public JWKS (as served at /.well-known/jwks.json) instead");
  list->callback([list_args, &exit_code] { exit_code = List(*list_args); });

  auto rotate_args = std::make_shared<KeysArgs>();
  auto* rotate = keys->add_subcommand(
      "rotate", "make a fresh key active; the previous one stays published for --overlap");
  AddStoreOptions(rotate, *rotate_args);
  rotate->add_option("--algorithm", rotate_args->algorithm, "EdDSA (default) or ES256")
      ->capture_default_str();
  rotate
      ->add_option("--overlap", rotate_args->overlap_seconds,
                   "seconds the previous key stays published")
      ->capture_default_str();
  rotate->callback([rotate_args, &exit_code] { exit_code = Rotate(*rotate_args); });
}

}  // namespace mandate::cli
