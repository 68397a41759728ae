// SPIFFE trust bundles and X.509-SVID verification (identity.h).
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sodium.h>

#include "src/identity/identity.h"
#include "src/json/json.h"
#include "src/util/file.h"

namespace mandate::identity {
namespace {

Status BundleError(std::string message) {
  return InvalidArgument("bundle.invalid", "bundle: " + std::move(message));
}

Status SvidError(std::string reason, std::string message) {
  return Unauthenticated(std::move(reason), "x509-svid: " + std::move(message));
}

struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Deleter>;

Result<std::string> StdBase64Decode(std::string_view text) {
  std::string out(text.size(), '\0');
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &len, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != text.data() + text.size()) {
    return Err(BundleError("`x5c` entry is not canonical base64"));
  }
  out.resize(len);
  return out;
}

Result<SpiffeBundle> ParsePemBundle(std::string trust_domain, std::string_view text) {
  SpiffeBundle bundle;
  bundle.trust_domain = std::move(trust_domain);
  bundle.x509_authorities_der = PemCertificatesDer(text);
  if (bundle.x509_authorities_der.empty()) return Err(BundleError("no PEM certificate found"));
  return bundle;
}

}  // namespace

std::vector<std::string> PemCertificatesDer(std::string_view pem) {
  std::vector<std::string> certificates;
  BIO* bio = BIO_new_mem_buf(pem.data(), int(pem.size()));
  while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    unsigned char* der = nullptr;
    const int len = i2d_X509(cert, &der);
    if (len > 0) certificates.emplace_back(reinterpret_cast<char*>(der), size_t(len));
    OPENSSL_free(der);
    X509_free(cert);
  }
  BIO_free(bio);
  ERR_clear_error();  // the end of the text reads as an error
  return certificates;
}

Result<SpiffeBundle> ParseSpiffeBundle(std::string trust_domain, std::string_view text) {
  auto td = ParseSpiffeId("spiffe://" + trust_domain);
  if (!td || !td->path.empty())
    return Err(BundleError("`" + trust_domain + "` is not a trust domain"));
  if (text.find("-----BEGIN CERTIFICATE-----") != std::string_view::npos) {
    return ParsePemBundle(std::move(trust_domain), text);
  }
  auto value = json::Parse(text, {.max_bytes = 4 << 20, .max_depth = 8});
  if (!value) return Err(BundleError(value.error().message()));
  if (!value->is_object()) return Err(BundleError("not a json object"));
  const auto& root = value->as_object();
  SpiffeBundle bundle;
  bundle.trust_domain = std::move(trust_domain);
  if (const auto* seq = root.if_contains("spiffe_sequence"); seq && seq->is_int64()) {
    bundle.sequence = seq->as_int64();
  }
  if (const auto* hint = root.if_contains("spiffe_refresh_hint"); hint && hint->is_int64()) {
    bundle.refresh_hint_seconds = hint->as_int64();
  }
  const auto* keys = root.if_contains("keys");
  if (keys == nullptr || !keys->is_array()) return Err(BundleError("member `keys` missing"));
  for (const auto& entry : keys->as_array()) {
    if (!entry.is_object()) return Err(BundleError("a key is not an object"));
    const auto& jwk = entry.as_object();
    const auto* use = jwk.if_contains("use");
    if (use == nullptr || !use->is_string()) return Err(BundleError("a key has no `use`"));
    if (use->as_string() == "x509-svid") {
      const auto* x5c = jwk.if_contains("x5c");
      if (x5c == nullptr || !x5c->is_array() || x5c->as_array().size() != 1 ||
          !x5c->as_array()[0].is_string()) {
        return Err(BundleError("an x509-svid key needs exactly one `x5c` certificate"));
      }
      auto der = StdBase64Decode(std::string_view(x5c->as_array()[0].as_string()));
      if (!der) return Err(der.error());
      const unsigned char* p = reinterpret_cast<const unsigned char*>(der->data());
      X509Ptr cert(d2i_X509(nullptr, &p, long(der->size())));
      if (!cert) return Err(BundleError("an `x5c` certificate does not parse"));
      bundle.x509_authorities_der.push_back(std::move(*der));
    } else if (use->as_string() == "jwt-svid") {
      if (!jwk.contains("kid")) return Err(BundleError("a jwt-svid key needs a `kid`"));
      auto key = credential::PublicKey::FromJwk(jwk, /*allow_private=*/false);
      if (!key) return Err(BundleError(key.error().message()));
      bundle.jwt_authorities.Add(std::move(*key));
    }  // other uses are ignored, as the bundle spec requires
  }
  return bundle;
}

Result<SpiffeBundle> LoadSpiffeBundleFile(std::string trust_domain, const std::string& path) {
  auto text = ReadFileBytes(path);
  if (!text) return Err(BundleError(text.error().message()));
  return ParseSpiffeBundle(std::move(trust_domain), *text);
}

void TrustBundles::Set(SpiffeBundle bundle) {
  auto shared = std::make_shared<const SpiffeBundle>(std::move(bundle));
  std::lock_guard lock(mu_);
  bundles_[shared->trust_domain] = std::move(shared);
}

std::shared_ptr<const SpiffeBundle> TrustBundles::Find(std::string_view trust_domain) const {
  std::lock_guard lock(mu_);
  auto it = bundles_.find(trust_domain);
  return it == bundles_.end() ? nullptr : it->second;
}

Result<SpiffeId> VerifyX509Svid(STACK_OF(X509) * chain, const TrustBundles& bundles,
                                const Clock& clock) {
  if (chain == nullptr || sk_X509_num(chain) == 0) {
    return Err(SvidError("svid.chain_empty", "the peer presented no certificate"));
  }
  X509* leaf = sk_X509_value(chain, 0);
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(leaf, NID_subject_alt_name, nullptr, nullptr));
  std::vector<std::string> uris;
  for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type == GEN_URI) {
      const ASN1_IA5STRING* uri = name->d.uniformResourceIdentifier;
      uris.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                        size_t(ASN1_STRING_length(uri)));
    }
  }
  GENERAL_NAMES_free(names);
  if (uris.size() != 1) {
    return Err(SvidError("svid.uri_san_count", "the leaf must carry exactly one URI SAN, found " +
                                                   std::to_string(uris.size())));
  }
  auto id = ParseSpiffeId(uris.front());
  if (!id) return Err(SvidError("svid.not_spiffe", "URI SAN: " + id.error().message()));
  const uint32_t flags = X509_get_extension_flags(leaf);
  if (flags & EXFLAG_INVALID)
    return Err(SvidError("svid.certificate_invalid", "malformed extensions"));
  if (flags & EXFLAG_CA) return Err(SvidError("svid.leaf_is_ca", "the leaf is a CA certificate"));
  const uint32_t usage = X509_get_key_usage(leaf);
  if (!(flags & EXFLAG_KUSAGE) || !(usage & KU_DIGITAL_SIGNATURE) ||
      (usage & (KU_KEY_CERT_SIGN | KU_CRL_SIGN))) {
    return Err(SvidError("svid.key_usage",
                         "the leaf needs key usage digitalSignature and neither keyCertSign nor "
                         "cRLSign"));
  }
  auto bundle = bundles.Find(id->trust_domain);
  if (!bundle || bundle->x509_authorities_der.empty()) {
    return Err(SvidError("svid.trust_domain_unknown",
                         "no X.509 bundle for trust domain `" + id->trust_domain + "`"));
  }
  X509_STORE* store = X509_STORE_new();
  for (const auto& der : bundle->x509_authorities_der) {
    const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
    X509Ptr root(d2i_X509(nullptr, &p, long(der.size())));
    if (root) X509_STORE_add_cert(store, root.get());
  }
  STACK_OF(X509)* untrusted = sk_X509_new_null();
  for (int i = 1; i < sk_X509_num(chain); ++i) sk_X509_push(untrusted, sk_X509_value(chain, i));
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  int ok = X509_STORE_CTX_init(ctx, store, leaf, untrusted);
  if (ok == 1) {
    X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_time(param, time_t(clock.NowSeconds()));
    ok = X509_verify_cert(ctx);
  }
  const int error = X509_STORE_CTX_get_error(ctx);
  X509_STORE_CTX_free(ctx);
  sk_X509_free(untrusted);
  X509_STORE_free(store);
  ERR_clear_error();
  if (ok != 1) {
    return Err(SvidError("svid.chain_invalid", "chain does not verify against the bundle of `" +
                                                   id->trust_domain +
                                                   "`: " + X509_verify_cert_error_string(error)));
  }
  return id;
}

Result<SpiffeId> VerifyX509Svid(std::span<const std::string> der_chain, const TrustBundles& bundles,
                                const Clock& clock) {
  STACK_OF(X509)* chain = sk_X509_new_null();
  for (const auto& der : der_chain) {
    const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
    X509* cert = d2i_X509(nullptr, &p, long(der.size()));
    if (cert == nullptr || p != reinterpret_cast<const unsigned char*>(der.data() + der.size())) {
      X509_free(cert);
      sk_X509_pop_free(chain, X509_free);
      ERR_clear_error();
      return Err(SvidError("svid.certificate_invalid", "a certificate is not valid DER"));
    }
    sk_X509_push(chain, cert);
  }
  auto result = VerifyX509Svid(chain, bundles, clock);
  sk_X509_pop_free(chain, X509_free);
  return result;
}

}  // namespace mandate::identity
