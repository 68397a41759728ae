#include "src/enforce/internal/proof_minting_client.h"

#include "src/credential/credential.h"

namespace mandate::enforce::internal {

Decision ProofMintingClient::Authorize(const AuthorizeRequest& request) {
  AuthorizeRequest signed_request = request;
  auto proof =
      credential::MintDpopProof(key_, "POST", url_, clock_.NowSeconds(), request.agent.task_token);
  if (!proof) {
    return ErrorDecision("dpop.mint_failed", "cannot sign a proof: " + proof.error().message());
  }
  signed_request.agent.dpop_proof = std::move(*proof);
  signed_request.agent.method = "POST";
  signed_request.agent.url = url_;
  return inner_.Authorize(signed_request);
}

}  // namespace mandate::enforce::internal
