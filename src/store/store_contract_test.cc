#include "src/store/store_contract_test.h"

#include <gmock/gmock.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

namespace mandate::store {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;

TaskRecord Task(std::string id, std::string agent = "spiffe://acme/agent/a",
                std::string owner = "alice", std::string mandate = "payments") {
  return TaskRecord{.id = std::move(id),
                    .parent_id = "",
                    .agent = std::move(agent),
                    .owner = std::move(owner),
                    .mandate = std::move(mandate),
                    .mandate_version = "3",
                    .state = TaskState::kActive,
                    .deadline_micros = 2'000,
                    .created_micros = 1'000,
                    .updated_micros = 1'000,
                    .state_blob = std::string("steps\0done", 10)};
}

RevocationEvent Revoke(RevocationScope scope, std::string value) {
  return {.id = 0,
          .scope = scope,
          .value = std::move(value),
          .reason = "deviation",
          .actor = "authority",
          .time_micros = 5'000};
}

std::string Hex(char c) { return std::string(64, c); }

std::vector<AuditRow> Rows(int64_t first, int n, std::string prev) {
  std::vector<AuditRow> rows;
  for (int i = 0; i < n; ++i) {
    std::string hash(64, static_cast<char>('a' + (first + i) % 6));
    hash += std::to_string(first + i);
    rows.push_back({first + i, prev, hash, "{\"sequence\":" + std::to_string(first + i) + "}"});
    prev = hash;
  }
  return rows;
}

#define ASSERT_OK(expr)                      \
  do {                                       \
    auto&& ok_ = (expr);                     \
    ASSERT_TRUE(ok_.ok()) << ok_.ToString(); \
  } while (0)
#define ASSERT_VALUE(expr) ASSERT_TRUE((expr).has_value()) << (expr).error().ToString()

}  // namespace

void StoreContract::SetUp() {
  url_ = GetParam().fresh_url();
  store_ = Reopen(WithKey());
  ASSERT_NE(store_, nullptr);
}

std::unique_ptr<Store> StoreContract::Reopen(const StoreOptions& options) {
  auto store = OpenStore(url_, options);
  EXPECT_TRUE(store.has_value()) << store.error().ToString();
  return store ? std::move(*store) : nullptr;
}

TEST_P(StoreContract, TasksRoundTripAndUpsert) {
  TaskRecord a = Task("t1"), b = Task("t2");
  b.parent_id = "t1";
  ASSERT_OK(store_->PutTasks(std::vector{a, b}));
  auto got = store_->GetTask("t2");
  ASSERT_VALUE(got);
  EXPECT_EQ(*got, b);
  b.state = TaskState::kRevoked;
  b.state_blob = std::string(5000, '\xff');
  ASSERT_OK(store_->PutTasks(std::vector{b}));
  EXPECT_EQ(*store_->GetTask("t2"), b);
  // A task's identity is written once: a later put updates its state, not who or what it is.
  TaskRecord other = b;
  other.agent = "spiffe://example.org/someone-else";
  other.owner = "mallory";
  other.mandate = "other-mandate";
  other.created_micros = b.created_micros + 1;
  other.state = TaskState::kCompleted;
  ASSERT_OK(store_->PutTasks(std::vector{other}));
  TaskRecord kept = b;
  kept.state = TaskState::kCompleted;
  kept.updated_micros = other.updated_micros;
  EXPECT_EQ(*store_->GetTask("t2"), kept);
  auto missing = store_->GetTask("nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.error().reason(), "task.unknown");
}

TEST_P(StoreContract, LoadLiveTasksSkipsTerminalStates) {
  std::vector<TaskRecord> tasks;
  for (TaskState s : {TaskState::kActive, TaskState::kCompleted, TaskState::kFailed,
                      TaskState::kExpired, TaskState::kRevoked, TaskState::kActive}) {
    tasks.push_back(Task("t" + std::to_string(tasks.size())));
    tasks.back().state = s;
  }
  ASSERT_OK(store_->PutTasks(tasks));
  auto live = store_->LoadLiveTasks();
  ASSERT_VALUE(live);
  EXPECT_THAT(*live, ElementsAre(Field(&TaskRecord::id, "t0"), Field(&TaskRecord::id, "t5")));
}

TEST_P(StoreContract, ListTasksFiltersByAgentOwnerMandateParent) {
  TaskRecord a = Task("a", "agent-1", "alice", "m1"), b = Task("b", "agent-2", "alice", "m2"),
             c = Task("c", "agent-1", "bob", "m2");
  c.parent_id = "a";
  c.created_micros = 500;  // listed first
  b.state = TaskState::kCompleted;
  ASSERT_OK(store_->PutTasks(std::vector{a, b, c}));
  auto query = [](std::string agent, std::string owner, std::string mandate, std::string parent,
                  bool live, size_t limit = 1000) {
    TaskQuery q;
    q.agent = std::move(agent);
    q.owner = std::move(owner);
    q.mandate = std::move(mandate);
    q.parent_id = std::move(parent);
    q.live_only = live;
    q.limit = limit;
    return q;
  };
  auto ids = [&](TaskQuery q) {
    std::vector<std::string> out;
    auto r = store_->ListTasks(q);
    EXPECT_TRUE(r.has_value());
    if (r) {
      for (auto& t : *r) out.push_back(t.id);
    }
    return out;
  };
  EXPECT_THAT(ids(query("agent-1", "", "", "", false)), ElementsAre("c", "a"));
  EXPECT_THAT(ids(query("", "alice", "", "", false)), ElementsAre("a", "b"));
  EXPECT_THAT(ids(query("", "alice", "", "", true)), ElementsAre("a"));
  EXPECT_THAT(ids(query("", "", "m2", "", false)), ElementsAre("c", "b"));
  EXPECT_THAT(ids(query("", "", "", "a", false)), ElementsAre("c"));
  EXPECT_THAT(ids(query("", "", "", "", false, 2)), ElementsAre("c", "a"));
  EXPECT_THAT(ids(query("agent-1", "bob", "m2", "", false)), ElementsAre("c"));
}

TEST_P(StoreContract, RevocationIdsIncreaseAndPersist) {
  auto first = store_->AppendRevocation(Revoke(RevocationScope::kTask, "t1"));
  auto second = store_->AppendRevocation(Revoke(RevocationScope::kAll, ""));
  ASSERT_VALUE(first);
  ASSERT_VALUE(second);
  EXPECT_EQ(*first, 1);
  EXPECT_EQ(*second, 2);
  store_.reset();
  store_ = Reopen(WithKey());
  auto third = store_->AppendRevocation(Revoke(RevocationScope::kCredential, "jti-9"));
  ASSERT_VALUE(third);
  EXPECT_EQ(*third, 3);
  auto since = store_->ListRevocationsSince(1, 10);
  ASSERT_VALUE(since);
  ASSERT_EQ(since->size(), 2u);
  RevocationEvent want = Revoke(RevocationScope::kAll, "");
  want.id = 2;
  EXPECT_EQ((*since)[0], want);
  EXPECT_EQ((*since)[1].value, "jti-9");
  EXPECT_EQ(store_->ListRevocationsSince(0, 1)->size(), 1u);
  EXPECT_TRUE(store_->ListRevocationsSince(3, 10)->empty());
}

TEST_P(StoreContract, SubscribersSeeEveryCommittedRevocationInOrder) {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<int64_t> seen;
  auto sub = store_->SubscribeRevocations([&](const RevocationEvent& e) {
    std::lock_guard lock(mu);
    seen.push_back(e.id);
    cv.notify_all();
  });
  ASSERT_VALUE(sub);
  constexpr int kThreads = 4, kEach = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto id =
            store_->AppendRevocation(Revoke(RevocationScope::kAgent, "agent-" + std::to_string(t)));
        EXPECT_TRUE(id.has_value());
      }
    });
  }
  for (auto& t : threads) t.join();
  std::unique_lock lock(mu);
  ASSERT_TRUE(
      cv.wait_for(lock, std::chrono::seconds(10), [&] { return seen.size() >= kThreads * kEach; }))
      << "saw " << seen.size();
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], static_cast<int64_t>(i + 1));
  lock.unlock();
  sub->reset();  // unsubscribed: later events are not delivered
  ASSERT_VALUE(store_->AppendRevocation(Revoke(RevocationScope::kAll, "")));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  lock.lock();
  EXPECT_EQ(seen.size(), static_cast<size_t>(kThreads * kEach));
}

TEST_P(StoreContract, SigningKeysPutUpdateListAndSealing) {
  SigningKeyRecord k1{.kid = "k1",
                      .alg = "EdDSA",
                      .private_key = std::string("\x01\0\x02", 3),
                      .public_jwk = R"({"kty":"OKP"})",
                      .created_micros = 10,
                      .activates_micros = 10,
                      .retires_micros = 0};
  SigningKeyRecord k2 = k1;
  k2.kid = "k2";
  k2.created_micros = 5;
  ASSERT_OK(store_->PutSigningKey(k1));
  ASSERT_OK(store_->PutSigningKey(k2));
  Status dup = store_->PutSigningKey(k1);
  EXPECT_EQ(dup.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(dup.reason(), "key.exists");
  k1.retires_micros = 99;
  ASSERT_OK(store_->UpdateSigningKey(k1));
  SigningKeyRecord ghost = k1;
  ghost.kid = "ghost";
  EXPECT_EQ(store_->UpdateSigningKey(ghost).reason(), "key.unknown");
  auto keys = store_->ListSigningKeys();
  ASSERT_VALUE(keys);
  EXPECT_THAT(*keys, ElementsAre(k2, k1));
  // Sealed under the master key: without it the private keys are refused, not returned.
  store_.reset();
  auto no_key = Reopen({});
  auto refused = no_key->ListSigningKeys();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().reason(), "store.no_master_key");
  auto wrong = Reopen(WithKey('x'))->ListSigningKeys();
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().reason(), "secret.unsealable");
}

TEST_P(StoreContract, ApprovalsPutGetList) {
  ApprovalRecord a{.id = "ap1",
                   .task_id = "t1",
                   .call_digest = Hex('c'),
                   .state = ApprovalState::kPending,
                   .decided_by = "",
                   .created_micros = 1,
                   .expires_micros = 100};
  ApprovalRecord b = a;
  b.id = "ap2";
  b.task_id = "t2";
  ASSERT_OK(store_->PutApproval(a));
  ASSERT_OK(store_->PutApproval(b));
  a.state = ApprovalState::kApproved;
  a.decided_by = "alice";
  ASSERT_OK(store_->PutApproval(a));
  EXPECT_EQ(*store_->GetApproval("ap1"), a);
  EXPECT_EQ(store_->GetApproval("zz").error().reason(), "approval.unknown");
  EXPECT_THAT(*store_->ListApprovals("t2"), ElementsAre(b));
  EXPECT_EQ(store_->ListApprovals("")->size(), 2u);
}

TEST_P(StoreContract, SecretsAreSealedAndNeedTheMasterKey) {
  ASSERT_OK(store_->PutSecret("github-token", "ghp_secret"));
  ASSERT_OK(store_->PutSecret("github-token", "ghp_rotated"));
  EXPECT_EQ(*store_->GetSecret("github-token"), "ghp_rotated");
  EXPECT_EQ(store_->GetSecret("other").error().reason(), "secret.unknown");
  ASSERT_OK(store_->DeleteSecret("github-token"));
  EXPECT_EQ(store_->DeleteSecret("github-token").reason(), "secret.unknown");
  ASSERT_OK(store_->PutSecret("db", "pw"));
  store_.reset();
  auto keyless = Reopen({});
  EXPECT_EQ(keyless->PutSecret("x", "y").reason(), "store.no_master_key");
  EXPECT_EQ(keyless->GetSecret("db").error().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(Reopen(WithKey('z'))->GetSecret("db").error().reason(), "secret.unsealable");
  EXPECT_EQ(*Reopen(WithKey())->GetSecret("db"), "pw");
}

TEST_P(StoreContract, AuditAppendsReadsCountsAndAnchorsTheHead) {
  auto rows = Rows(1, 5, Hex('0'));
  ASSERT_OK(store_->AppendAudit("main", std::span(rows).first(3)));
  ASSERT_OK(store_->AppendAudit("main", std::span(rows).subspan(3)));
  EXPECT_EQ(*store_->CountAudit("main"), 5);
  auto head = store_->GetAuditHead("main");
  ASSERT_VALUE(head);
  EXPECT_EQ(head->sequence, 5);
  EXPECT_EQ(head->hash, rows.back().hash);
  auto read = store_->ReadAudit("main", 2, 2);
  ASSERT_VALUE(read);
  EXPECT_THAT(*read, ElementsAre(rows[1], rows[2]));
  EXPECT_EQ(store_->GetAuditHead("empty")->sequence, 0);
  EXPECT_EQ(*store_->CountAudit("empty"), 0);
}

TEST_P(StoreContract, AuditAppendThatDoesNotContinueTheHeadWritesNothing) {
  auto rows = Rows(1, 3, Hex('0'));
  ASSERT_OK(store_->AppendAudit("main", rows));
  auto stale = Rows(3, 2, rows[1].hash);  // a second writer that missed record 3
  Status conflict = store_->AppendAudit("main", stale);
  EXPECT_EQ(conflict.code(), StatusCode::kAborted);
  EXPECT_EQ(conflict.reason(), "audit.chain_conflict");
  auto forked = Rows(4, 2, Hex('9'));  // right sequence, wrong previous hash
  EXPECT_EQ(store_->AppendAudit("main", forked).reason(), "audit.chain_conflict");
  auto gap = Rows(4, 2, rows[2].hash);
  gap[1].sequence = 6;  // not contiguous inside the batch: the whole batch is refused
  EXPECT_EQ(store_->AppendAudit("main", gap).reason(), "audit.chain_conflict");
  EXPECT_EQ(*store_->CountAudit("main"), 3);
  EXPECT_EQ(store_->GetAuditHead("main")->sequence, 3);
}

TEST_P(StoreContract, AuditChainsAreIndependentAndListed) {
  ASSERT_OK(store_->AppendAudit("replica-b", Rows(1, 2, Hex('0'))));
  ASSERT_OK(store_->AppendAudit("main", Rows(1, 1, Hex('0'))));
  EXPECT_THAT(*store_->ListAuditChains(), ElementsAre("main", "replica-b"));
  EXPECT_EQ(*store_->CountAudit("replica-b"), 2);
}

TEST_P(StoreContract, EverythingSurvivesReopen) {
  ASSERT_OK(store_->PutTasks(std::vector{Task("t1")}));
  ASSERT_VALUE(store_->AppendRevocation(Revoke(RevocationScope::kOwner, "alice")));
  ASSERT_OK(store_->AppendAudit("main", Rows(1, 2, Hex('0'))));
  ASSERT_OK(store_->PutSecret("s", "v"));
  store_.reset();
  auto again = Reopen(WithKey());
  EXPECT_EQ(*again->GetTask("t1"), Task("t1"));
  EXPECT_EQ(again->ListRevocationsSince(0, 10)->at(0).value, "alice");
  EXPECT_EQ(again->GetAuditHead("main")->sequence, 2);
  EXPECT_EQ(*again->GetSecret("s"), "v");
}

TEST_P(StoreContract, ConcurrentWritersDoNotLoseWrites) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        std::string id = std::to_string(t * 100 + i);
        EXPECT_TRUE(store_->PutTasks(std::vector{Task(id)}).ok());
        EXPECT_TRUE(store_->ListTasks(TaskQuery{"", "", "", "", false, 5}).has_value());
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(store_->LoadLiveTasks()->size(), 80u);
}

}  // namespace mandate::store
