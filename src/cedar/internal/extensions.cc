#include "src/cedar/internal/extensions.h"

#include <cstdio>

namespace mandate::cedar::internal {
namespace {

constexpr int64_t kMsPerDay = 86400000;

tl::unexpected<Status> ExtErr(std::string message) {
  return Err(StatusCode::kInvalidArgument, "cedar.extension", std::move(message));
}

// `s` in backticks, built by appends (avoids a g++ 12 -Wrestrict false positive).
std::string Q(std::string_view s) {
  std::string r;
  r.reserve(s.size() + 2);
  r += '`';
  r.append(s);
  r += '`';
  return r;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool ParseIpv4(std::string_view s, uint8_t* out) {
  int part = 0;
  size_t i = 0;
  while (part < 4) {
    size_t start = i;
    int value = 0;
    while (i < s.size() && IsDigit(s[i]) && i - start < 3) value = value * 10 + (s[i++] - '0');
    size_t len = i - start;
    if (len == 0 || value > 255 || (len > 1 && s[start] == '0')) return false;
    out[part++] = static_cast<uint8_t>(value);
    if (part < 4) {
      if (i >= s.size() || s[i] != '.') return false;
      ++i;
    }
  }
  return i == s.size();
}

bool ParseIpv6(std::string_view s, uint8_t* out) {
  uint16_t head[8];
  uint16_t tail[8];
  int nhead = 0, ntail = 0;
  bool gap = false;
  size_t i = 0;
  if (s.substr(0, 2) == "::") {
    gap = true;
    i = 2;
  } else if (!s.empty() && s[0] == ':') {
    return false;
  }
  while (i < s.size()) {
    size_t start = i;
    int value = 0;
    while (i < s.size() && HexValue(s[i]) >= 0 && i - start < 4)
      value = value * 16 + HexValue(s[i++]);
    if (i == start) return false;
    if (i < s.size() && HexValue(s[i]) >= 0) return false;  // more than 4 digits
    if (nhead + ntail >= 8) return false;
    (gap ? tail[ntail++] : head[nhead++]) = static_cast<uint16_t>(value);
    if (i == s.size()) break;
    if (s[i] != ':') return false;
    ++i;
    if (i < s.size() && s[i] == ':') {
      if (gap) return false;
      gap = true;
      ++i;
    } else if (i == s.size()) {
      return false;  // trailing single colon
    }
  }
  int total = nhead + ntail;
  if (gap ? total > 7 : total != 8) return false;
  uint16_t groups[8] = {0};
  for (int k = 0; k < nhead; ++k) groups[k] = head[k];
  for (int k = 0; k < ntail; ++k) groups[8 - ntail + k] = tail[k];
  for (int k = 0; k < 8; ++k) {
    out[2 * k] = static_cast<uint8_t>(groups[k] >> 8);
    out[2 * k + 1] = static_cast<uint8_t>(groups[k] & 0xff);
  }
  return true;
}

// Parses an unsigned decimal of exactly `n` digits.
bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t k = 0; k < n; ++k) {
    if (!IsDigit(s[pos + k])) return false;
    v = v * 10 + (s[pos + k] - '0');
  }
  *out = v;
  return true;
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int64_t y, int m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Days since 1970-01-01 of a proleptic Gregorian civil date (Howard Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, int* m, int* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  *d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  *m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

}  // namespace

std::optional<int64_t> CheckedAdd(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) return std::nullopt;
  return r;
}
std::optional<int64_t> CheckedSub(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_sub_overflow(a, b, &r)) return std::nullopt;
  return r;
}
std::optional<int64_t> CheckedMul(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r)) return std::nullopt;
  return r;
}

Result<Extension> ParseIpAddr(std::string_view s) {
  Extension ext;
  ext.kind = ExtensionKind::kIpAddr;
  std::string_view addr = s;
  std::optional<std::string_view> prefix;
  if (size_t slash = s.find('/'); slash != std::string_view::npos) {
    addr = s.substr(0, slash);
    prefix = s.substr(slash + 1);
  }
  bool v6 = addr.find(':') != std::string_view::npos;
  if (v6 && addr.find('.') != std::string_view::npos) {
    return ExtErr(std::string("ipv4 embedded in ipv6 is not accepted: ") + Q(s));
  }
  ext.ip.v6 = v6;
  if (!(v6 ? ParseIpv6(addr, ext.ip.bytes.data()) : ParseIpv4(addr, ext.ip.bytes.data()))) {
    return ExtErr(std::string("invalid ip address ") + Q(s));
  }
  int max = v6 ? 128 : 32;
  ext.ip.prefix = static_cast<uint8_t>(max);
  if (prefix) {
    std::string_view p = *prefix;
    if (p.empty() || p.size() > (v6 ? 3u : 2u))
      return ExtErr(std::string("invalid prefix length in ") + Q(s));
    int v = 0;
    for (char c : p) {
      if (!IsDigit(c)) return ExtErr(std::string("invalid prefix length in ") + Q(s));
      v = v * 10 + (c - '0');
    }
    if ((p.size() > 1 && p[0] == '0') || v > max) {
      return ExtErr(std::string("invalid prefix length in ") + Q(s));
    }
    ext.ip.prefix = static_cast<uint8_t>(v);
  }
  return ext;
}

Result<Extension> ParseDecimal(std::string_view s) {
  size_t i = 0;
  bool negative = false;
  if (i < s.size() && s[i] == '-') {
    negative = true;
    ++i;
  }
  size_t int_start = i;
  while (i < s.size() && IsDigit(s[i])) ++i;
  size_t int_len = i - int_start;
  if (int_len == 0 || i >= s.size() || s[i] != '.') {
    return ExtErr("`" + std::string(s) + "` is not a well-formed decimal value");
  }
  ++i;
  size_t frac_start = i;
  while (i < s.size() && IsDigit(s[i])) ++i;
  size_t frac_len = i - frac_start;
  if (frac_len == 0 || i != s.size()) {
    return ExtErr("`" + std::string(s) + "` is not a well-formed decimal value");
  }
  if (frac_len > 4) return ExtErr(std::string("too many digits after the decimal in ") + Q(s));
  // Accumulate as a negative number so that the minimum value is representable.
  int64_t acc = 0;
  auto push = [&acc](int digit) -> bool {
    auto m = CheckedMul(acc, 10);
    if (!m) return false;
    auto r = CheckedSub(*m, digit);
    if (!r) return false;
    acc = *r;
    return true;
  };
  bool ok = true;
  for (size_t k = int_start; k < int_start + int_len && ok; ++k) ok = push(s[k] - '0');
  for (size_t k = frac_start; k < frac_start + 4 && ok; ++k)
    ok = push(k < frac_start + frac_len ? s[k] - '0' : 0);
  if (ok && !negative) {
    auto r = CheckedSub(0, acc);
    ok = r.has_value();
    if (ok) acc = *r;
  }
  if (!ok) return ExtErr("overflow when converting `" + std::string(s) + "` to decimal");
  Extension ext;
  ext.kind = ExtensionKind::kDecimal;
  ext.number = acc;
  return ext;
}

Result<Extension> ParseDatetime(std::string_view s) {
  auto bad = [&s]() { return ExtErr(std::string("invalid datetime ") + Q(s)); };
  int year, month, day;
  if (!Digits(s, 0, 4, &year) || s.size() < 10 || s[4] != '-' || !Digits(s, 5, 2, &month) ||
      s[7] != '-' || !Digits(s, 8, 2, &day)) {
    return bad();
  }
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month)) return bad();
  int64_t ms = DaysFromCivil(year, month, day) * kMsPerDay;
  if (s.size() == 10) {
    Extension ext;
    ext.kind = ExtensionKind::kDatetime;
    ext.number = ms;
    return ext;
  }
  int hh, mi, ss;
  if (s.size() < 20 || s[10] != 'T' || !Digits(s, 11, 2, &hh) || s[13] != ':' ||
      !Digits(s, 14, 2, &mi) || s[16] != ':' || !Digits(s, 17, 2, &ss)) {
    return bad();
  }
  if (hh > 23 || mi > 59 || ss > 59) return bad();
  size_t i = 19;
  int millis = 0;
  if (s[i] == '.') {
    if (!Digits(s, i + 1, 3, &millis)) return bad();
    i += 4;
  }
  int64_t offset_ms = 0;
  if (i < s.size() && s[i] == 'Z') {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int oh, om;
    if (!Digits(s, i + 1, 2, &oh) || !Digits(s, i + 3, 2, &om)) return bad();
    if (oh > 23 || om > 59) return bad();
    offset_ms = (oh * 3600LL + om * 60LL) * 1000LL * (s[i] == '+' ? 1 : -1);
    i += 5;
  } else {
    return bad();
  }
  if (i != s.size()) return bad();
  ms += ((hh * 60LL + mi) * 60LL + ss) * 1000LL + millis - offset_ms;
  Extension ext;
  ext.kind = ExtensionKind::kDatetime;
  ext.number = ms;
  return ext;
}

Result<Extension> ParseDuration(std::string_view s) {
  auto bad = [&s]() { return ExtErr(std::string("invalid duration ") + Q(s)); };
  size_t i = 0;
  bool negative = false;
  if (i < s.size() && s[i] == '-') {
    negative = true;
    ++i;
  }
  if (i == s.size()) return bad();
  static const struct {
    std::string_view unit;
    int64_t ms;
  } kUnits[] = {{"d", kMsPerDay}, {"h", 3600000}, {"m", 60000}, {"s", 1000}, {"ms", 1}};
  int next_unit = 0;
  int64_t total = 0;  // accumulated negatively
  while (i < s.size()) {
    size_t start = i;
    int64_t n = 0;
    while (i < s.size() && IsDigit(s[i])) {
      auto m = CheckedMul(n, 10);
      if (!m) return ExtErr(std::string("overflow in duration ") + Q(s));
      auto r = CheckedSub(*m, s[i] - '0');
      if (!r) return ExtErr(std::string("overflow in duration ") + Q(s));
      n = *r;
      ++i;
    }
    if (i == start) return bad();
    int unit = -1;
    if (s.substr(i, 2) == "ms") {
      unit = 4;
      i += 2;
    } else if (i < s.size()) {
      for (int u = 0; u < 4; ++u) {
        if (s[i] == kUnits[u].unit[0]) unit = u;
      }
      if (unit >= 0) ++i;
    }
    if (unit < next_unit) return bad();
    next_unit = unit + 1;
    auto part = CheckedMul(n, kUnits[unit].ms);
    if (!part) return ExtErr(std::string("overflow in duration ") + Q(s));
    auto sum = CheckedAdd(total, *part);
    if (!sum) return ExtErr(std::string("overflow in duration ") + Q(s));
    total = *sum;
  }
  if (!negative) {
    auto r = CheckedSub(0, total);
    if (!r) return ExtErr(std::string("overflow in duration ") + Q(s));
    total = *r;
  }
  Extension ext;
  ext.kind = ExtensionKind::kDuration;
  ext.number = total;
  return ext;
}

Result<Extension> ParseExtension(std::string_view fn, std::string_view arg) {
  if (fn == "ip" || fn == "ipaddr") return ParseIpAddr(arg);
  if (fn == "decimal") return ParseDecimal(arg);
  if (fn == "datetime") return ParseDatetime(arg);
  if (fn == "duration") return ParseDuration(arg);
  return ExtErr("unknown extension function `" + std::string(fn) + "`");
}

std::string_view ExtensionConstructor(ExtensionKind kind) {
  switch (kind) {
    case ExtensionKind::kIpAddr:
      return "ip";
    case ExtensionKind::kDecimal:
      return "decimal";
    case ExtensionKind::kDatetime:
      return "datetime";
    case ExtensionKind::kDuration:
      return "duration";
  }
  return "";
}

std::string ExtensionArgument(const Extension& ext) {
  char buf[96];
  switch (ext.kind) {
    case ExtensionKind::kIpAddr: {
      std::string out;
      if (!ext.ip.v6) {
        std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", ext.ip.bytes[0], ext.ip.bytes[1],
                      ext.ip.bytes[2], ext.ip.bytes[3]);
        out = buf;
      } else {
        for (int k = 0; k < 8; ++k) {
          std::snprintf(buf, sizeof buf, "%s%x", k ? ":" : "",
                        (ext.ip.bytes[2 * k] << 8) | ext.ip.bytes[2 * k + 1]);
          out += buf;
        }
      }
      if (ext.ip.prefix != (ext.ip.v6 ? 128 : 32)) {
        out += '/';
        out += std::to_string(ext.ip.prefix);
      }
      return out;
    }
    case ExtensionKind::kDecimal: {
      uint64_t mag = ext.number < 0 ? 0 - static_cast<uint64_t>(ext.number)
                                    : static_cast<uint64_t>(ext.number);
      std::snprintf(buf, sizeof buf, "%s%llu.%04llu", ext.number < 0 ? "-" : "",
                    static_cast<unsigned long long>(mag / 10000),
                    static_cast<unsigned long long>(mag % 10000));
      return buf;
    }
    case ExtensionKind::kDatetime: {
      int64_t days = ext.number / kMsPerDay;
      int64_t rem = ext.number % kMsPerDay;
      if (rem < 0) {
        rem += kMsPerDay;
        --days;
      }
      int64_t y;
      int m, d;
      CivilFromDays(days, &y, &m, &d);
      std::snprintf(buf, sizeof buf, "%04lld-%02d-%02dT%02lld:%02lld:%02lld.%03lldZ",
                    static_cast<long long>(y), m, d, static_cast<long long>(rem / 3600000),
                    static_cast<long long>(rem / 60000 % 60),
                    static_cast<long long>(rem / 1000 % 60), static_cast<long long>(rem % 1000));
      return buf;
    }
    case ExtensionKind::kDuration: {
      if (ext.number == INT64_MIN) return "-9223372036854775808ms";
      std::snprintf(buf, sizeof buf, "%lldms", static_cast<long long>(ext.number));
      return buf;
    }
  }
  return "";
}

namespace {
// First address and prefix comparison on the common family.
bool PrefixMatch(const IpAddr& a, const IpAddr& b, int bits) {
  for (int k = 0; k < bits; ++k) {
    int byte = k / 8, bit = 7 - k % 8;
    if (((a.bytes[byte] >> bit) & 1) != ((b.bytes[byte] >> bit) & 1)) return false;
  }
  return true;
}
}  // namespace

bool IpInRange(const IpAddr& a, const IpAddr& b) {
  if (a.v6 != b.v6) return false;
  return a.prefix >= b.prefix && PrefixMatch(a, b, b.prefix);
}

bool IpIsLoopback(const IpAddr& ip) {
  IpAddr range;
  range.v6 = ip.v6;
  if (ip.v6) {
    range.bytes[15] = 1;
    range.prefix = 128;
  } else {
    range.bytes[0] = 127;
    range.prefix = 8;
  }
  return IpInRange(ip, range);
}

bool IpIsMulticast(const IpAddr& ip) {
  IpAddr range;
  range.v6 = ip.v6;
  if (ip.v6) {
    range.bytes[0] = 0xff;
    range.prefix = 8;
  } else {
    range.bytes[0] = 224;
    range.prefix = 4;
  }
  return IpInRange(ip, range);
}

std::optional<int64_t> DatetimeToDate(int64_t ms) {
  int64_t rem = ms % kMsPerDay;
  if (rem == 0) return ms;
  if (ms > 0) return ms - rem;
  return CheckedSub(ms, rem + kMsPerDay);
}

int64_t DatetimeToTime(int64_t ms) {
  int64_t rem = ms % kMsPerDay;
  return rem < 0 ? rem + kMsPerDay : rem;
}

}  // namespace mandate::cedar::internal
