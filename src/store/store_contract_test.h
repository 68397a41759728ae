// The store contract suite (SPIRE `sqltest` style): every backend must pass the same tests.
// A backend test instantiates it with a factory of fresh, empty store locations:
//   INSTANTIATE_TEST_SUITE_P(Sqlite, StoreContract, testing::Values(StoreBackend{...}));
// Thread-safety: test-only.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "src/store/store.h"

namespace mandate::store {

struct StoreBackend {
  std::string name;
  // The URL of a new, empty store; opening the same URL again reopens that store.
  std::function<std::string()> fresh_url;
};

inline std::string PrintToString(const StoreBackend& b) { return b.name; }

class StoreContract : public testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override;
  // Opens (again) the store at this test's URL.
  std::unique_ptr<Store> Reopen(const StoreOptions& options);

  static StoreOptions WithKey(char fill = 'k') { return {std::string(32, fill)}; }

  std::string url_;
  std::unique_ptr<Store> store_;  // opened with WithKey()
};

}  // namespace mandate::store
