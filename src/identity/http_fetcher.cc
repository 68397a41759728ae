// HttpFetcher over src/http's client (identity.h).
#include <cctype>

#include "src/http/client.h"
#include "src/identity/identity.h"

namespace mandate::identity {
namespace {

constexpr size_t kMaxDocumentBytes = 1 << 20;

class ClientFetcher final : public HttpFetcher {
 public:
  explicit ClientFetcher(int timeout_ms) {
    options_.timeout = std::chrono::milliseconds(timeout_ms);
    options_.max_response_body = kMaxDocumentBytes;
  }
  Result<std::string> Get(std::string_view url) override {
    MANDATE_RETURN_IF_ERROR(CheckFetchUrl(url));
    auto response = http::Get(url, options_);
    if (!response) return Err(response.error().WithContext("fetch `" + std::string(url) + "`"));
    if (response->status != 200) {
      return Err(Status(
          StatusCode::kUnavailable, "oidc.fetch_status",
          "fetch `" + std::string(url) + "`: http status " + std::to_string(response->status)));
    }
    return std::move(response->body);
  }

 private:
  http::ClientOptions options_;
};

}  // namespace

std::shared_ptr<HttpFetcher> NewHttpFetcher(int timeout_ms) {
  return std::make_shared<ClientFetcher>(timeout_ms);
}

}  // namespace mandate::identity
