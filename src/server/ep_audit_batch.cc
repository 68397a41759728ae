// POST /v1/ep/audit's body, read without a DOM (ep_audit_batch.h). Boost.JSON's basic_parser
// checks the grammar; the handler below knows the batch's one shape (an object, its `records`
// array, each record an object of string fields) and refuses anything else as it arrives.
#include "src/server/ep_audit_batch.h"

#include <array>
#include <bitset>
#include <boost/json/basic_parser_impl.hpp>
#include <cstdint>

#include "src/json/json.h"
#include "src/json/writer.h"

namespace mandate::server {
namespace {

constexpr size_t kMaxBodyBytes = 1 << 20;  // as every JSON body of the API (api.cc)

// Members of the batch, then of one record, in one list: a member's index is its bit in the
// `seen` set of its object (duplicates) and, for a record's strings, its slot in `text`.
enum Member : uint8_t {
  kEnforcementPoint,
  kInstance,
  kFirstSequence,
  kRecords,
  kTimeMicros,
  // A record's string fields, in slot order.
  kAgent,
  kTask,
  kStep,
  kSystem,
  kAction,
  kResource,
  kDecision,
  kReason,
  kCredential,
  kProof,
  kArgsDigest,
  kMemberCount,
};
constexpr size_t kFirstText = kAgent;
constexpr std::array<std::string_view, kMemberCount> kNames = {"enforcement_point",
                                                               "instance",
                                                               "first_sequence",
                                                               "records",
                                                               "time_micros",
                                                               "agent",
                                                               "task",
                                                               "step",
                                                               "system",
                                                               "action",
                                                               "resource",
                                                               "decision",
                                                               "reason",
                                                               "credential",
                                                               "proof",
                                                               "args_digest"};

// What a batch member must be: the refusal when it is not.
std::string BatchMemberError(Member m) {
  switch (m) {
    case kEnforcementPoint:
      return "`enforcement_point` must be a name (letters, digits, `-_.`)";
    case kInstance:
      return "`instance` must be an identifier (letters, digits, `-_.`)";
    case kFirstSequence:
      return "`first_sequence` must be an integer >= 1";
    default:
      return "`records` must be an array of 1 to 10000 records";
  }
}

bool IsHexDigest(std::string_view s) {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

bool IsToken(std::string_view s, size_t max) {  // identifiers the batch names its sender by
  return !s.empty() && s.size() <= max &&
         s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") ==
             std::string_view::npos;
}

struct Handler {
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  EpAuditBatch batch;
  std::string error;  // the batch's first fault; parsing stops there
  // Where the parser is: 0 outside, 1 in the batch object, 2 in `records`, 3 in a record.
  int level = 0;
  std::bitset<kMemberCount> batch_seen, record_seen;
  Member member = kMemberCount;  // the member whose value comes next
  std::string key;               // a key arriving in parts
  bool string_open = false;      // a string value arriving in parts
  int64_t time_micros = 0;
  std::array<std::string, kMemberCount - kFirstText> text;  // the record's string fields
  // Each record's `credential` and `proof`, which its detail names: written once the whole
  // batch is read, since the batch's own members may come after its records.
  std::vector<std::pair<std::string, std::string>> held;

  std::string AtRecord() const { return "record " + std::to_string(batch.records.size()) + ": "; }
  bool Fail(std::string message, boost::system::error_code& ec) {
    error = std::move(message);
    ec = boost::json::error::syntax;
    return false;
  }
  bool Unexpected(boost::system::error_code& ec) {  // a value of the wrong kind for `member`
    switch (level) {
      case 0:
        return Fail("the body must be a batch object with `records`", ec);
      case 1:
        return Fail(BatchMemberError(member), ec);
      case 2:
        return Fail("record " + std::to_string(batch.records.size()) + " is not an object", ec);
      default:
        if (member == kTimeMicros) return Fail(AtRecord() + "`time_micros` must be > 0", ec);
        return Fail(
            AtRecord() + "`" + std::string(kNames[member]) + "` must be a string of at most 16 KiB",
            ec);
    }
  }

  bool on_document_begin(boost::system::error_code&) { return true; }
  bool on_document_end(boost::system::error_code&) { return true; }
  bool on_object_begin(boost::system::error_code& ec) {
    if (level == 0) {
      level = 1;
      return true;
    }
    if (level != 2) return Unexpected(ec);
    if (batch.records.size() == kMaxEpAuditRecords) {
      return Fail(BatchMemberError(kRecords), ec);
    }
    level = 3;
    record_seen.reset();
    time_micros = 0;
    for (std::string& t : text) t.clear();
    return true;
  }
  bool on_object_end(std::size_t, boost::system::error_code& ec) {
    if (level == 1) return Complete(ec);
    level = 2;
    return AddRecord(ec);
  }
  bool on_array_begin(boost::system::error_code& ec) {
    if (level != 1 || member != kRecords) return Unexpected(ec);
    level = 2;
    return true;
  }
  bool on_array_end(std::size_t, boost::system::error_code& ec) {
    level = 1;
    if (batch.records.empty()) {
      return Fail(BatchMemberError(kRecords), ec);
    }
    return true;
  }
  bool on_key_part(boost::json::string_view s, std::size_t, boost::system::error_code&) {
    key.append(s.data(), s.size());
    return true;
  }
  bool on_key(boost::json::string_view s, std::size_t, boost::system::error_code& ec) {
    key.append(s.data(), s.size());
    const size_t first = level == 1 ? 0 : kTimeMicros;
    const size_t last = level == 1 ? kTimeMicros : kMemberCount;
    size_t found = last;
    for (size_t m = first; m < last; ++m) {
      if (kNames[m] == key) found = m;
    }
    if (found == last) {
      return Fail((level == 1 ? "" : AtRecord()) + "unknown member `" + key.substr(0, 200) + "`",
                  ec);
    }
    std::bitset<kMemberCount>& seen = level == 1 ? batch_seen : record_seen;
    if (seen[found]) {
      return Fail((level == 1 ? "" : AtRecord()) + "duplicate member `" + key + "`", ec);
    }
    seen.set(found);
    member = static_cast<Member>(found);
    key.clear();
    return true;
  }
  // A string value: appended to where it belongs, bounded as it grows.
  bool AppendString(boost::json::string_view s, boost::system::error_code& ec) {
    std::string* into = nullptr;
    size_t max = kMaxEpAuditFieldBytes;
    if (level == 1 && member == kEnforcementPoint) {
      into = &batch.enforcement_point;
      max = 64;
    } else if (level == 1 && member == kInstance) {
      into = &batch.instance;
      max = 128;
    } else if (level == 3 && member >= kFirstText) {
      into = &text[member - kFirstText];
    }
    if (into == nullptr || into->size() + s.size() > max) return Unexpected(ec);
    into->append(s.data(), s.size());
    return true;
  }
  bool on_string_part(boost::json::string_view s, std::size_t, boost::system::error_code& ec) {
    return AppendString(s, ec);
  }
  bool on_string(boost::json::string_view s, std::size_t, boost::system::error_code& ec) {
    return AppendString(s, ec);
  }
  bool on_number_part(boost::json::string_view, boost::system::error_code&) { return true; }
  bool on_int64(int64_t i, boost::json::string_view, boost::system::error_code& ec) {
    if (level == 1 && member == kFirstSequence && i >= 1) {
      batch.first_sequence = i;
      return true;
    }
    if (level == 3 && member == kTimeMicros && i > 0) {
      time_micros = i;
      return true;
    }
    return Unexpected(ec);
  }
  bool on_uint64(uint64_t, boost::json::string_view, boost::system::error_code& ec) {
    return Unexpected(ec);  // above int64's range: no sequence or time is that large
  }
  bool on_double(double, boost::json::string_view, boost::system::error_code& ec) {
    return Unexpected(ec);
  }
  bool on_bool(bool, boost::system::error_code& ec) { return Unexpected(ec); }
  bool on_null(boost::system::error_code& ec) { return Unexpected(ec); }
  bool on_comment_part(boost::json::string_view, boost::system::error_code& ec) {
    ec = boost::json::error::syntax;
    return false;
  }
  bool on_comment(boost::json::string_view, boost::system::error_code& ec) {
    ec = boost::json::error::syntax;
    return false;
  }

  bool AddRecord(boost::system::error_code& ec) {
    if (time_micros <= 0) return Fail(AtRecord() + "`time_micros` must be > 0", ec);
    const std::string& decision = text[kDecision - kFirstText];
    if (decision != "allow" && decision != "deny" && decision != "error") {
      return Fail(AtRecord() + "`decision` must be allow, deny or error", ec);
    }
    const std::string& digest = text[kArgsDigest - kFirstText];
    if (!digest.empty() && !IsHexDigest(digest)) {
      return Fail(AtRecord() + "`args_digest` must be SHA-256 hex", ec);
    }
    auto field = [&](Member m) { return std::move(text[m - kFirstText]); };
    // The detail names who decided and how; the enforcement point cannot write anything else
    // into it (no `progress`: restart replay must never apply these records). The instance and
    // sequence are filled in by Complete, once the batch's header members are known.
    audit::Record r{.kind = audit::RecordKind::kDecision,
                    .time_micros = time_micros,
                    .agent = field(kAgent),
                    .principal = "",
                    .task = field(kTask),
                    .step = field(kStep),
                    .system = field(kSystem),
                    .action = field(kAction),
                    .resource = field(kResource),
                    .args_digest = field(kArgsDigest),
                    .decision = field(kDecision),
                    .reasons = {},
                    .policy_ids = {},
                    .detail = {}};
    if (!text[kReason - kFirstText].empty()) r.reasons.push_back(field(kReason));
    held.emplace_back(field(kCredential), field(kProof));
    batch.records.push_back(std::move(r));
    return true;
  }

  // The whole batch is read: its header members are checked and every record's detail written.
  bool Complete(boost::system::error_code& ec) {
    level = 0;
    for (Member m : {kEnforcementPoint, kInstance, kFirstSequence, kRecords}) {
      const bool ok = m == kEnforcementPoint ? IsToken(batch.enforcement_point, 64)
                      : m == kInstance       ? IsToken(batch.instance, 128)
                                             : batch_seen[m];
      if (!ok) return Fail(BatchMemberError(m), ec);
    }
    if (batch.first_sequence > INT64_MAX - static_cast<int64_t>(batch.records.size())) {
      return Fail("`first_sequence` leaves no room for the batch's records", ec);
    }
    for (size_t i = 0; i < batch.records.size(); ++i) {
      const auto& [credential, proof] = held[i];
      std::string detail = "{";
      json::AppendMember(detail, "decided_by", batch.enforcement_point);
      json::AppendMember(detail, "instance", batch.instance);
      json::AppendMember(detail, "sequence", batch.first_sequence + static_cast<int64_t>(i));
      if (!credential.empty()) json::AppendMember(detail, "credential", credential);
      if (!proof.empty()) json::AppendMember(detail, "proof", proof);
      detail += '}';
      batch.records[i].detail = std::move(detail);
    }
    return true;
  }
};

}  // namespace

Result<EpAuditBatch> ReadEpAuditBatch(std::string_view body) {
  if (body.size() > kMaxBodyBytes) {
    return Err(StatusCode::kInvalidArgument, "json.too_large",
               "json: document of " + std::to_string(body.size()) + " bytes exceeds the limit of " +
                   std::to_string(kMaxBodyBytes));
  }
  boost::json::parse_options options;
  options.max_depth = 4;  // batch, records, record: nothing nests deeper
  boost::json::basic_parser<Handler> parser(options);
  boost::system::error_code ec;
  const size_t consumed = parser.write_some(false, body.data(), body.size(), ec);
  if (!ec && consumed < body.size()) ec = boost::json::error::extra_data;
  Handler& h = parser.handler();
  if (!h.error.empty()) {
    return Err(StatusCode::kInvalidArgument, "audit.batch_invalid", std::move(h.error));
  }
  if (ec == boost::json::error::too_deep) {
    return Err(
        StatusCode::kInvalidArgument, "audit.batch_invalid",
        "nothing in a batch nests deeper than its records (" + json::Where(body, consumed) + ")");
  }
  if (ec) {
    return Err(StatusCode::kInvalidArgument, "json.invalid",
               "json: " + json::Where(body, consumed) + ": " + ec.message());
  }
  if (h.level != 0 || h.batch.records.empty()) {  // the document was not an object
    return Err(StatusCode::kInvalidArgument, "audit.batch_invalid",
               "the body must be a batch object with `records`");
  }
  return std::move(h.batch);
}

}  // namespace mandate::server
