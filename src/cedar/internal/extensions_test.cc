// Edge cases of every extension function (ipaddr, decimal, datetime, duration), each with the
// outcome Cedar 4.10 gives (checked against cedar-wasm 4.10.0): true, false, or an evaluation
// error (Cedar's error text differs from ours; that an error is raised is what decides a
// policy's fate).
#include <gtest/gtest.h>

#include "src/cedar/cedar.h"

namespace mandate::cedar {
namespace {

enum class Outcome { kTrue, kFalse, kError };

struct Case {
  const char* expr;
  Outcome outcome;
};

constexpr Outcome T = Outcome::kTrue, F = Outcome::kFalse, E = Outcome::kError;

void Check(const Case& c) {
  auto e = ParseExpression(c.expr);
  ASSERT_TRUE(e) << c.expr << ": " << e.error().ToString();
  auto v = Authorizer::Evaluate(**e, Request{}, Entities());
  if (c.outcome == Outcome::kError) {
    ASSERT_FALSE(v) << c.expr << " evaluated to " << ValueToString(*v);
    EXPECT_EQ(v.error().reason(), "cedar.eval") << c.expr;
    return;
  }
  ASSERT_TRUE(v) << c.expr << ": " << v.error().ToString();
  ASSERT_TRUE(v->is_bool()) << c.expr;
  EXPECT_EQ(v->as_bool(), c.outcome == Outcome::kTrue) << c.expr;
}

TEST(ExtensionEdgeCases, IpAddr) {
  const Case cases[] = {
      {"ip(\"10.0.0.1\") == ip(\"10.0.0.1/32\")", T},
      {"ip(\"10.0.0.1/24\") == ip(\"10.0.0.0/24\")", F},
      {"ip(\"::\").isIpv6()", T},
      {"ip(\"0.0.0.0/0\").isInRange(ip(\"0.0.0.0/0\"))", T},
      {"ip(\"10.0.0.1\").isInRange(ip(\"10.0.0.1\"))", T},
      {"ip(\"::1/128\").isLoopback()", T},
      {"ip(\"::2\").isLoopback()", F},
      {"ip(\"127.255.255.255\").isLoopback()", T},
      {"ip(\"127.0.0.1/8\").isLoopback()", T},
      {"ip(\"126.0.0.0/7\").isLoopback()", F},
      {"ip(\"239.255.255.255\").isMulticast()", T},
      {"ip(\"240.0.0.0\").isMulticast()", F},
      {"ip(\"ff00::/8\").isMulticast()", T},
      {"ip(\"fe00::\").isMulticast()", F},
      {"ip(\"224.0.0.0/3\").isMulticast()", F},
      {"ip(\"2001:db8::/32\").isInRange(ip(\"2001:db8::/31\"))", T},
      {"ip(\"2001:db8::/31\").isInRange(ip(\"2001:db8::/32\"))", F},
      {"ip(\"10.0.0.1\").isInRange(ip(\"::/0\"))", F},
      {"ip(\"1:2:3:4:5:6:7:8\").isIpv6()", T},
      {"ip(\"::ffff:127.0.0.1\").isLoopback()", E},
      {"ip(\"1::2::3\").isIpv6()", E},
      {"ip(\"1.2.3\").isIpv4()", E},
      {"ip(\"1.2.3.256\").isIpv4()", E},
      {"ip(\"1.2.3.4/-1\").isIpv4()", E},
      {"ip(\" 1.2.3.4\").isIpv4()", E},
      {"ip(\"1.2.3.4/33\").isIpv4()", E},
      {"ip(\"::/129\").isIpv6()", E},
      {"ip(\"fe80::1%eth0\").isIpv6()", E},
      {"ip(\"1:2:3:4:5:6:7:8:9\").isIpv6()", E},
      {"ip(\"12345::\").isIpv6()", E},
      {"ip(\"\").isIpv4()", E},
      {"ip(\"10.0.0.1\").isInRange(decimal(\"1.0\"))", E},
  };
  for (const Case& c : cases) Check(c);
}

TEST(ExtensionEdgeCases, Decimal) {
  const Case cases[] = {
      {"decimal(\"-0.0\") == decimal(\"0.0\")", T},
      {"decimal(\"1.0\") == decimal(\"1.0000\")", T},
      {"decimal(\"00001.5\") == decimal(\"1.5\")", T},
      {"decimal(\"0.0001\").greaterThan(decimal(\"0.0\"))", T},
      {"decimal(\"-922337203685477.5808\").lessThanOrEqual(decimal(\"-922337203685477.5808\"))", T},
      {"decimal(\"-922337203685477.5809\") == decimal(\"0.0\")", E},
      {"decimal(\"1\") == decimal(\"1.0\")", E},
      {"decimal(\".5\") == decimal(\"0.5\")", E},
      {"decimal(\"1.0.0\") == decimal(\"1.0\")", E},
      {"decimal(\"1e2\") == decimal(\"1.0\")", E},
      {"decimal(\"1.0\") == 1", F},
      {"decimal(\"1.0\").lessThan(decimal(\"1.0\"))", F},
      {"decimal(\"1.0\").greaterThanOrEqual(ip(\"1.2.3.4\"))", E},
  };
  for (const Case& c : cases) Check(c);
}

TEST(ExtensionEdgeCases, Datetime) {
  const Case cases[] = {
      {"datetime(\"2024-01-01T00:00:00.123Z\").toTime() == duration(\"123ms\")", T},
      {"datetime(\"2024-01-01T00:00:00.123-0130\") == datetime(\"2024-01-01T01:30:00.123Z\")", T},
      {"datetime(\"2024-01-01T00:00:00+2359\") < datetime(\"2024-01-01\")", T},
      {"datetime(\"2000-02-29\").toDate() == datetime(\"2000-02-29\")", T},
      {"datetime(\"0000-01-01\").toDate() == datetime(\"0000-01-01\")", T},
      {"datetime(\"9999-12-31T23:59:59.999-2359\") > datetime(\"9999-12-31\")", T},
      {"datetime(\"1969-12-31T23:59:59.999Z\").toTime() == duration(\"23h59m59s999ms\")", T},
      {"datetime(\"1969-12-31T23:59:59.999Z\").toDate() == datetime(\"1969-12-31\")", T},
      {"datetime(\"2024-01-01\").durationSince(datetime(\"2024-01-02\")) == duration(\"-1d\")", T},
      {"datetime(\"2024-01-01\").offset(duration(\"-1ms\")) == "
       "datetime(\"2023-12-31T23:59:59.999Z\")",
       T},
      {"datetime(\"1900-02-29\") == datetime(\"1900-03-01\")", E},
      {"datetime(\"2024-01-01T00:00:00\") == datetime(\"2024-01-01\")", E},
      {"datetime(\"2024-01-01T00:00:00.12Z\") == datetime(\"2024-01-01\")", E},
      {"datetime(\"2024-1-01\") == datetime(\"2024-01-01\")", E},
      {"datetime(\"2024-01-01T00:00:60Z\") == datetime(\"2024-01-01\")", E},
      {"datetime(\"2024-01-01T00:00:00+0060\") < datetime(\"2024-01-01\")", E},
      {"datetime(\"2024-04-31\") == datetime(\"2024-05-01\")", E},
      {"datetime(\"10000-01-01\") > datetime(\"2024-01-01\")", E},
      {"datetime(\"1970-01-01\").offset(duration(\"-9223372036854775808ms\")).toDate() == "
       "datetime(\"1970-01-01\")",
       E},
      {"datetime(\"1970-01-01\").offset(duration(\"-9223372036854775808ms\")).toTime() == "
       "duration(\"0ms\")",
       F},
      {"datetime(\"2024-01-01\").offset(duration(\"9223372036854775807ms\")) > "
       "datetime(\"2024-01-01\")",
       E},
      {"datetime(\"1970-01-01\").durationSince(datetime(\"1970-01-01\").offset(duration(\"-"
       "9223372036854775808ms\"))) > duration(\"0ms\")",
       E},
      {"datetime(\"2024-01-01\").offset(datetime(\"2024-01-01\")) == datetime(\"2024-01-01\")", E},
      {"datetime(\"2024-01-01\") == duration(\"0ms\")", F},
  };
  for (const Case& c : cases) Check(c);
}

TEST(ExtensionEdgeCases, Duration) {
  const Case cases[] = {
      {"duration(\"-9223372036854775808ms\").toDays() == -106751991167", T},
      {"duration(\"9223372036854775807ms\").toDays() == 106751991167", T},
      {"duration(\"-1ms\").toSeconds() == 0", T},
      {"duration(\"-0ms\") == duration(\"0ms\")", T},
      {"duration(\"1d\") == duration(\"86400000ms\")", T},
      {"duration(\"-1d1h\").toHours() == -25", T},
      {"duration(\"1d-1h\") == duration(\"23h\")", E},
      {"duration(\"1h1h\") == duration(\"2h\")", E},
      {"duration(\"1D\") == duration(\"1d\")", E},
      {"duration(\"1.5h\") == duration(\"90m\")", E},
      {"duration(\"1ms1s\") == duration(\"1s1ms\")", E},
      {"duration(\"-106751991167d\") < duration(\"0ms\")", T},
      {"duration(\"106751991168d\") > duration(\"0ms\")", E},
      {"duration(\"1d\") < datetime(\"2024-01-01\")", E},
      {"duration(\"1d\").toDays(1) == 1", E},
  };
  for (const Case& c : cases) Check(c);
}

}  // namespace
}  // namespace mandate::cedar
