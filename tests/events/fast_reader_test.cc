// The parser's two readers agree: parse() (the fast reader, falling back to the general one)
// and parse_general() (simdjson On-Demand alone) give the same event, the same symbols in the
// same order and the same error, for the seed lines of the fuzz corpus and the golden cases,
// for thousands of mutations of them, and for numbers and times of every shape. Also: ordinary
// lines do take the fast reader, and parse_time_fast agrees with parse_rfc3339_ms.
#include <gtest/gtest.h>

#include <bit>
#include <charconv>
#include <cstdint>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "core/hash.h"
#include "core/time.h"
#include "events/event_diff.h"
#include "events/fast_reader.h"
#include "events/parser.h"

namespace og {
namespace {

// What may follow a line read in place (parse_terminated) after its '\0': bytes that would
// lengthen a number, a string, a key or a literal, or close the line, were they read.
const std::vector<std::string> kTails = {
    "0123456789.0123456789e5", R"(","qty":1}]},"id":"x"})", "\"}", "rue,\"a\":null}", " \t\r\n}",
    "\xe6\xb8\x85\xe6\xb2\xb3\xff\"", "00:00.000Z\",\"x\":1}", R"(nknown"}]}})",
};

// Two parsers, each with its own interner, fed the same lines; and a third that reads each
// line in place (parse_terminated) with other bytes past its '\0', as replay's read buffer has.
class Twins {
 public:
  // Empty when both readers (and the in-place read) agree on `line`; otherwise what differs.
  std::string disagreement(std::string_view line) {
    const std::size_t before = fast_interner_.size();
    const auto fast = fast_parser_.parse(line, fast_event_);
    const auto general = general_parser_.parse_general(line, general_event_);
    if (fast.has_value() != general.has_value()) {
      return fast ? "fast accepts, general rejects: " + general.error() : "fast rejects: " + fast.error();
    }
    if (!fast && fast.error() != general.error()) return "errors differ: " + fast.error() + " / " + general.error();
    if (fast) {
      if (const std::string field = first_difference(fast_event_, general_event_); !field.empty()) return "events differ in " + field;
      ++accepted_;
    }
    if (fast_interner_.size() != general_interner_.size()) return "interners differ in size";
    for (std::size_t symbol = before; symbol < fast_interner_.size(); ++symbol) {
      if (fast_interner_.view(static_cast<Symbol>(symbol)) != general_interner_.view(static_cast<Symbol>(symbol))) {
        return "interners differ at symbol " + std::to_string(symbol);
      }
    }
    // In place: the line, its '\0', then a tail repeated to the padding's end.
    const std::string& tail = kTails[tails_++ % kTails.size()];
    std::string buffer(line);
    buffer += '\0';
    while (buffer.size() < line.size() + 1 + kTerminatedPadding) buffer += tail;
    // With the id hint replay's look-ahead gives: the bytes from `{"id":"` to the next quote
    // (on a line whose id has an escape, or another layout, not the id the reader reads).
    const std::string_view in_line(buffer.data(), line.size());
    std::string_view id;
    if (in_line.starts_with(R"({"id":")")) {
      if (const std::size_t end = in_line.find('"', 7); end != std::string_view::npos) id = in_line.substr(7, end - 7);
    }
    const auto in_place = in_place_parser_.parse_terminated(in_line, in_place_event_, id, hash64(id));
    if (in_place.has_value() != general.has_value()) {
      return in_place ? "in place accepts, general rejects" : "in place rejects: " + in_place.error();
    }
    if (!in_place && in_place.error() != general.error()) return "in-place errors differ: " + in_place.error();
    if (in_place) {
      if (const std::string field = first_difference(in_place_event_, general_event_); !field.empty()) {
        return "in-place events differ in " + field;
      }
    }
    if (in_place_interner_.size() != general_interner_.size()) return "in-place interner differs in size";
    for (std::size_t symbol = before; symbol < in_place_interner_.size(); ++symbol) {
      if (in_place_interner_.view(static_cast<Symbol>(symbol)) != general_interner_.view(static_cast<Symbol>(symbol))) {
        return "in-place interner differs at symbol " + std::to_string(symbol);
      }
    }
    if (fast_parser_.fast_lines() != in_place_parser_.fast_lines()) return "the in-place read took another reader";
    return {};
  }

  std::uint64_t fast_lines() const { return fast_parser_.fast_lines(); }
  std::uint64_t accepted() const { return accepted_; }

 private:
  Interner fast_interner_;
  Interner general_interner_;
  EventParser fast_parser_{fast_interner_};
  EventParser general_parser_{general_interner_};
  Event fast_event_;
  Event general_event_;
  std::uint64_t accepted_ = 0;
  Interner in_place_interner_;
  EventParser in_place_parser_{in_place_interner_};
  Event in_place_event_;
  std::size_t tails_ = 0;
};

#define EXPECT_AGREE(twins, line)                                   \
  do {                                                              \
    const std::string line_ = (line);                               \
    const std::string why_ = (twins).disagreement(line_);           \
    EXPECT_TRUE(why_.empty()) << why_ << "\n  line: " << line_;     \
  } while (0)

// Event lines of the parser's fuzz seeds and of every golden case.
std::vector<std::string> seed_lines() {
  std::vector<std::string> lines;
  const std::filesystem::path root(OG_SOURCE_DIR);
  const auto add_file = [&](const std::filesystem::path& path, bool events_only) {
    std::ifstream in(path, std::ios::binary);
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty() || (events_only && line.front() != '{')) continue;
      lines.push_back(line);
    }
  };
  for (const auto& entry : std::filesystem::directory_iterator(root / "fuzz" / "corpus" / "parser")) add_file(entry.path(), false);
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root / "tests" / "cases")) {
    if (entry.path().extension() == ".case") add_file(entry.path(), true);
  }
  std::sort(lines.begin(), lines.end());  // directory order varies; the interners' order must not
  return lines;
}

// Lines a feed writes every second: they must take the fast reader.
const std::vector<std::string> kOrdinary = {
    R"({"id":"e1","type":"order.created","ts":"2026-11-21T10:00:00+08:00","order_id":"O1","user_id":"U7","zone":"Z-haidian-3","community":"清河小区","address":{"text":"清河小区3号楼2单元501","building":"3","unit":"2","room":"501","lat":40.03,"lng":116.33},"items":[{"sku":"tomato-500g","name":"西红柿 500g","qty":2,"unit_price":590,"category":"vegetable"}],"amount":1180,"promise_at":"2026-11-21T10:45:00+08:00","coupon":{"code":"C1","discount":100,"min_spend":1000,"expires_at":"2026-12-01T00:00:00Z"}})",
    R"({"id":"e2","type":"payment.succeeded","ts":"2026-11-21T10:00:40+08:00","order_id":"O1","amount":1180,"txn_id":"T9","source":"pay"})",
    R"({ "id" : "e3" , "type" : "rider.location" , "ts" : 1795226400000 , "order_id" : "O1" , "rider_id" : "R1" , "lat" : -40.004123456789012 , "lng" : 116.30412345678901 })",
    R"({"id":"e4","type":"picking.completed","ts":"2026-11-21T02:00:00.000Z","order_id":"O1","items":[{"sku":"egg-10","qty":1,"expires_at":"2026-11-25T00:00:00Z"}],"extra":{"nested":[1,2.5e3,true,false,null,"a\"b\\c\n"]}})",
    R"({"id":"e5","type":"zone.config","ts":0,"zone":"Z1","lat":40.0,"lng":116.3,"radius_m":3000.5,"pickup_points":[{"id":"P1","name":"菜鸟驿站","lat":40.01,"lng":116.31},{"id":"P2","lat":null,"lng":116.32}]})",
    R"({"id":"e6","type":"user.profile","ts":0,"user_id":"U7","tier":"vip","substitution_pref":"substitute","channels":["app","sms","phone"],"phone":"13800000000"})",
    R"({"id":"e7","type":"catalog.item","ts":"2026-11-21T00:00:00.000+08:00","source":"catalog","sku":"tomato-500g","name":"西红柿 500g","category":"vegetable","price":590,"tags":["vegetable","常规","生鲜"],"reorder_point":23})",
    R"({"id":"e8","type":"agent.joined","ts":0,"agent_id":"A7","name":"王芳","skills":["payment","senior"],"capacity":5,"supervisor":false,"on_duty":true})",
    R"({"id":"e9","type":"order.cancelled","ts":"2026-11-21T10:41:00-05:30","order_id":"O1","by":"user","reason":"配送太慢","reason_code":"SLOW"})",
    R"({"id":"e10","type":"order.created","ts":0,"order_id":"O2","user_id":"U7","kind":"errand","items":[{"name":"取快递","qty":2,"unit_price":300},{"sku":"","qty":1},{"sku":null},{"sku":"a"}],"amount":600})",
};

TEST(FastReader, OrdinaryLinesTakeTheFastReaderAndAgree) {
  Twins twins;
  for (const std::string& line : kOrdinary) EXPECT_AGREE(twins, line);
  EXPECT_EQ(twins.accepted(), kOrdinary.size());
  EXPECT_EQ(twins.fast_lines(), kOrdinary.size());
}

TEST(FastReader, SeedLinesAgree) {
  Twins twins;
  const std::vector<std::string> lines = seed_lines();
  ASSERT_GT(lines.size(), 500u);
  for (const std::string& line : lines) EXPECT_AGREE(twins, line);
  // Most golden-case lines are ordinary; the fast reader must carry them, not only agree.
  EXPECT_GT(twins.fast_lines(), twins.accepted() * 9 / 10);
}

// Values to put where a value was, and keys to put where a key was.
const std::vector<std::string_view> kValues = {
    "null", "true", "false", "0", "-0", "1", "-1", "7", "00", "01", "1.", ".5", "1.5", "-1.5", "1e3", "1E-3", "2.5e+2",
    "-", "+1", "40.03", "-90", "90.0000000000001", "-180", "180.5", "116.30412345678901", "0.000001",
    "12345678901234567890", "123456789012345678", "1234567890123456789", "9007199254740993", "3000.5",
    "100000000.0", "100000000.5", "1795226400000", "-62167219200000", "253402300799999", "253402300800000",
    R"("")", R"("x")", R"("O1")", R"("a\"b")", R"("\u00e9")", R"("\ud800")", R"("\ud83d\ude00")", R"("\x")",
    R"("tab	in")", R"("清河")", "\"\xff\"", R"("2026-11-21T10:00:00Z")", R"("2026-11-21T10:00:00.5+08:00")",
    R"("2026-02-29T10:00:00Z")", R"("2028-02-29T23:59:60-01:30")", R"("2026-11-21t10:00:00z")", R"("2026-11-21T10:00:00")",
    R"("grocery")", R"("errand")", R"("cod")", R"("vip")", R"("refund")", R"("user")", R"("no_answer")",
    R"("damaged")", R"("order.created")", R"("rider.location")", R"("agent.resolve")", "[]", "{}", "[1,2]",
    R"(["app","sms"])", R"(["vip"])", R"(["payment","x"])", R"([{"sku":"s1"}])", R"([{"sku":"s1","qty":0}])",
    R"([{"sku":""}])", R"([{"qty":2}])", R"([{"sku":"s1","sku":"s2"}])", R"([{"id":"P1","lat":1,"lng":2}])",
    R"({"code":"C","discount":5})", R"({"text":"t","lat":1,"lng":2})", R"({"lat":null})", R"({"a":{"b":[[]]}})",
    R"([[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]])",
    "tru", "nul", "[1,]", R"({"a":1,})", R"({"a"})",
};
const std::vector<std::string_view> kKeys = {
    "id", "type", "ts", "order_id", "source", "user_id", "kind", "merchant_id", "zone", "community", "address",
    "items", "amount", "coupon", "payment_method", "promise_at", "slot_start", "slot_end", "user_tier",
    "substitution_pref", "by", "reason", "reason_code", "code", "txn_id", "refund_id", "sku", "requested",
    "available", "picker_id", "rider_id", "lat", "lng", "score", "substitute_sku", "accepted", "category", "price",
    "tags", "reorder_point", "warehouse", "radius_m", "pickup_points", "online", "active_orders", "tier",
    "channels", "agent_id", "incident_id", "name", "skills", "capacity", "supervisor", "on_duty",
    "resolution_code", "note", "text", "to", "qty", "unit_price", "expires_at", "discount", "min_spend",
    "building", "room", "unit", "", "x", "i\\u0064", "Id", "ids",
};

// Where the values of a line are: [start, end) of each value after a ':' (scalars and
// containers alike, by bracket depth; strings respected).
std::vector<std::pair<std::size_t, std::size_t>> value_spans(const std::string& line) {
  std::vector<std::pair<std::size_t, std::size_t>> spans;
  for (std::size_t colon = 0; colon < line.size(); ++colon) {
    if (line[colon] != ':') continue;
    std::size_t at = colon + 1;
    int depth = 0;
    bool in_string = false;
    for (; at < line.size(); ++at) {
      const char c = line[at];
      if (in_string) {
        if (c == '\\') ++at;
        else if (c == '"') in_string = false;
        continue;
      }
      if (c == '"') in_string = true;
      else if (c == '{' || c == '[') ++depth;
      else if ((c == '}' || c == ']') && depth-- == 0) break;
      else if (c == ',' && depth == 0) break;
    }
    spans.emplace_back(colon + 1, at);
  }
  return spans;
}

std::string mutate(std::string line, std::mt19937_64& random) {
  const auto pick = [&](std::size_t n) { return static_cast<std::size_t>(random() % n); };
  static constexpr std::string_view kBytes = "{}[]:,\"\\ \t\r0123456789.-+eEtrufalsnx\x01\x7f\xc3\xa9\xe6\xb8\x85\xff";
  const std::size_t mutations = 1 + pick(3);
  for (std::size_t m = 0; m < mutations; ++m) {
    const std::size_t at = line.empty() ? 0 : pick(line.size());
    switch (pick(8)) {
      case 0:
        if (!line.empty()) line.erase(at, 1);
        break;
      case 1: line.insert(at, 1, kBytes[pick(kBytes.size())]); break;
      case 2:
        if (!line.empty()) line[at] = kBytes[pick(kBytes.size())];
        break;
      case 3: {  // repeat a piece (often a member: a repeated key)
        const std::size_t length = 1 + pick(40);
        line.insert(at, line.substr(at, length));
        break;
      }
      case 4:
      case 5: {  // another value
        const auto spans = value_spans(line);
        if (spans.empty()) break;
        const auto [start, end] = spans[pick(spans.size())];
        line.replace(start, end - start, kValues[pick(kValues.size())]);
        break;
      }
      case 6: {  // another key
        const std::size_t quote = line.find("\":", at);
        if (quote == std::string::npos) break;
        const std::size_t open = line.rfind('"', quote - 1);
        if (open == std::string::npos) break;
        line.replace(open + 1, quote - open - 1, kKeys[pick(kKeys.size())]);
        break;
      }
      default: {  // JSON space around a token
        static constexpr std::string_view kSpace[] = {" ", "\t", "\r", "\n", "  "};
        const std::size_t token = line.find_first_of(",:{}[]", at);
        if (token != std::string::npos) line.insert(token + pick(2), kSpace[pick(5)]);
      }
    }
  }
  return line;
}

TEST(FastReader, MutatedLinesAgree) {
  Twins twins;
  std::mt19937_64 random(20261121);
  std::vector<std::string> seeds = seed_lines();
  seeds.insert(seeds.end(), kOrdinary.begin(), kOrdinary.end());
  for (int round = 0; round < 12; ++round) {
    for (const std::string& seed : seeds) EXPECT_AGREE(twins, mutate(seed, random));
  }
  EXPECT_GT(twins.accepted(), 1000u);  // the mutations still leave many lines valid
}

// The fast reader predicts each key from the order of the line before; lines whose members
// come in shuffled orders (and repeat, and go missing) must read the same all the same.
TEST(FastReader, ShuffledKeyOrdersAgree) {
  Twins twins;
  std::mt19937_64 random(3);
  const std::vector<std::string> members = {
      R"("id":"e1")", R"("type":"order.created")", R"("ts":"2026-11-21T10:00:00+08:00")", R"("order_id":"O1")",
      R"("user_id":"U7")", R"("amount":1180)", R"("source":"oms")", R"("zone":"Z1")", R"("x":[1,{"y":null}])",
      R"("address":{"text":"t","building":"3","room":"501","unit":"2","lat":40.03,"lng":116.33,"z":1})",
      R"("coupon":{"code":"C","discount":5,"min_spend":100,"expires_at":"2026-12-01T00:00:00Z"})",
      R"("items":[{"sku":"a","qty":2,"unit_price":5,"category":"c","expires_at":0},{"qty":1,"sku":"b","w":"x"}])",
  };
  for (int i = 0; i < 3000; ++i) {
    std::vector<std::string> chosen = members;
    std::shuffle(chosen.begin(), chosen.end(), random);
    if (random() % 4 == 0) chosen.push_back(chosen[random() % chosen.size()]);  // a repeated key
    if (random() % 4 == 0) chosen.erase(chosen.begin() + static_cast<std::ptrdiff_t>(random() % chosen.size()));
    std::string line = "{";
    for (const std::string& member : chosen) line += (line.size() > 1 ? "," : "") + member;
    EXPECT_AGREE(twins, line + "}");
  }
  EXPECT_GT(twins.fast_lines(), 1000u);
}

// In place, the event id's hash comes from replay's look-ahead, which takes the bytes from
// `{"id":"` to the next quote: where those are not the id the reader reads (an escape in it,
// the key repeated, another layout), the id must still hash as the general reader hashes it.
TEST(FastReader, IdHintsFromTheLookAheadAgree) {
  Twins twins;
  const std::string rest = R"(,"type":"rider.assigned","ts":0,"order_id":"O1","rider_id":"R1"})";
  for (const std::string head : {R"({"id":"e1")", R"({"id":"e\"1")", R"({"id":"e\u0031")", R"({"id":"e\\")", R"({"id":"")",
                                 R"({"id":"e1","id":"e2")", R"({"id" :"e1")", R"({ "id":"e1")", R"({"id":"e1" )",
                                 R"({"id":"e1)", R"({"id":"e1\n2")", R"({"id":1)"}) {
    EXPECT_AGREE(twins, head + rest);
  }
  EXPECT_GE(twins.fast_lines(), 4u);
}

// The cache answers only for the very bytes it was given: keys that share one of their two
// words with a held key must miss. Among 200K such keys, some land in the held key's set (8K
// sets), so a comparison that looked at one word only would answer them with its symbol.
TEST(SymbolCache, AKeySharingOneWordWithAHeldKeyMisses) {
  using events_internal::SymbolCache;
  const auto padded = [](const std::string& text) { return text + std::string(16, '\0'); };
  const auto key = [](const std::string& buffer, std::size_t size) {
    return SymbolCache::key_of(std::string_view(buffer.data(), size));
  };
  for (const std::string& held : {std::string("abcdefgh"), std::string("abcdefgh-1234567"), std::string("x-1234567")}) {
    SymbolCache cache;
    const std::string held_buffer = padded(held);
    cache.put(key(held_buffer, held.size()), 7);
    ASSERT_EQ(cache.find(key(held_buffer, held.size())), 7u) << held;
    std::size_t misses = 0;
    for (int i = 0; i < 100000; ++i) {
      const std::string number = std::to_string(i);
      // The same first word, another second one (or none) ...
      const std::string same_low = held.substr(0, 8) + number;
      // ... and another first word before the same second one (none for a held key of 8 bytes).
      const std::string same_high = std::string(8 - number.size(), '0') + number + held.substr(std::min<std::size_t>(8, held.size()));
      for (const std::string& other : {same_low, same_high}) {
        if (other == held || other.size() > SymbolCache::kMaxBytes) continue;
        const std::string buffer = padded(other);
        ASSERT_EQ(cache.find(key(buffer, other.size())), kNoSymbol) << held << " answered for " << other;
        ++misses;
      }
    }
    EXPECT_GT(misses, 100000u);
  }
}

// Item SKUs, riders, zones ... are taken from a cache of the strings already interned, by
// their bytes (SymbolCache): strings of every length around its two 8-byte words, strings that
// share their first word, prefixes of one another, non-ASCII ones, far more of them than the
// cache holds (entries evicted, then met again), and lines that go bad after their cached
// strings were read, must all read as the general reader reads them.
TEST(FastReader, CachedSymbolsAgree) {
  Twins twins;
  std::mt19937_64 random(5);
  std::vector<std::string> names = {"s", "sk", "sku", "sku-", "sku-1", "sku-12", "abcdefgh1", "abcdefgh2",
                                    "abcdefghijklmnop", "abcdefghijklmnoq", "abcdefghijklmnopq", "清河", "清河小区3号楼"};
  for (std::size_t size = 1; size <= 18; ++size) names.push_back(std::string(size, 'k'));
  for (int i = 0; i < 30000; ++i) names.push_back("sku-" + std::to_string(i));
  const auto name = [&] {
    // Mostly a small working set (hits), now and then any name (misses and evictions).
    const std::size_t pool = random() % 8 == 0 ? names.size() : 300;
    return names[static_cast<std::size_t>(random() % pool)];
  };
  for (int i = 0; i < 12000; ++i) {
    const std::string id = R"({"id":"e)" + std::to_string(i) + R"(",)";
    std::string line;
    switch (random() % 3) {
      case 0: {
        line = id + R"("type":"picking.completed","ts":0,"order_id":"O1","items":[)";
        const std::size_t count = 1 + random() % 12;
        for (std::size_t k = 0; k < count; ++k) {
          line += (k == 0 ? "" : ",") + (random() % 16 == 0 ? R"({"qty":2,"sku":")" + name() + R"("})"
                                                              : R"({"sku":")" + name() + R"(","qty":)" + std::to_string(1 + k) + "}");
        }
        line += "]}";
        break;
      }
      case 1: line = id + R"("type":"rider.assigned","ts":0,"order_id":"O1","rider_id":")" + name() + R"("})"; break;
      default:
        line = id + R"("type":"order.created","ts":0,"order_id":"O1","user_id":"U1","amount":1,"zone":")" + name() +
               R"(","community":")" + name() + R"(","items":[{"sku":")" + name() + R"(","qty":1}]})";
    }
    switch (random() % 16) {  // now and then a line that goes bad after its symbols were read
      case 0: line.insert(line.size() - 1, ",\"x\":tru"); break;
      case 1: line += "x"; break;
      case 2: line.replace(line.find("\"ts\":0"), 7, "\"ts\":null"); break;
      case 3: line.insert(line.size() - 1, ",\"rider_id\":\"\xff\""); break;
      default: break;
    }
    EXPECT_AGREE(twins, line);
  }
  EXPECT_GT(twins.fast_lines(), 9000u);
}

// Keys are predicted with the comma before them (`,"qty":` right after the value before) once
// a line has taught the order: lines that break the prediction in every way just after it
// has been learned (a space, another key, a longer or shorter key of the same start, the key
// repeated, no comma) must read as the general reader reads them.
TEST(FastReader, PredictedKeysWithTheirCommaAgree) {
  Twins twins;
  const std::string learned =
      R"({"id":"e1","type":"order.created","ts":"2026-11-21T10:00:00.000Z","order_id":"O1","user_id":"U7","amount":1180,)"
      R"("address":{"text":"t","building":"3","room":"501","lat":40.03,"lng":116.33},)"
      R"("items":[{"sku":"a","qty":2,"unit_price":5,"category":"c"},{"sku":"b","qty":1,"unit_price":7,"category":"c"}]})";
  const std::vector<std::pair<std::string, std::string>> breaks = {
      {R"(,"qty":2)", R"( ,"qty":2)"},  {R"(,"qty":2)", R"(, "qty":2)"},   {R"(,"qty":2)", R"(,"qtx":2)"},
      {R"(,"qty":2)", R"(,"qtyy":2)"},  {R"(,"qty":2)", R"(,"qt":2)"},     {R"(,"qty":2)", R"(,"qty" :2)"},
      {R"(,"qty":2)", R"(,"qty":2,"qty":3)"}, {R"(,"qty":2)", R"("qty":2)"}, {R"(,"qty":2)", R"(,"sku":"x")"},
      {R"(,"qty":2)", R"(;"qty":2)"},   {R"(,"qty":2)", R"(,"qty":2)"}, {R"(,"qty":2)", ""},
      {R"(,"user_id":"U7")", R"(,"user_id":"U7","user_id":"U8")"}, {R"(,"ts":)", R"(,"ts" :)"},
      {R"(,"lng":116.33)", R"(,"lng":116.33,"lng":1)"}, {R"({"sku":"b")", R"({ "sku":"b")"},
      {R"({"sku":"b")", R"({"sku" :"b")"}, {R"(,"amount":1180)", R"(,"amount":1180 )"},
  };
  for (const auto& [from, to] : breaks) {
    std::string line = learned;
    const std::size_t at = line.rfind(from);
    ASSERT_NE(at, std::string::npos) << from;
    line.replace(at, from.size(), to);
    for (int i = 0; i < 2; ++i) EXPECT_AGREE(twins, learned);  // taught again each time
    EXPECT_AGREE(twins, line);
  }
  EXPECT_GE(twins.fast_lines(), 2 * breaks.size());
}

// Times of the hour and layout the reader last read are read in place, without looking for
// the string's end first: every byte of them must still be checked, so any byte put anywhere
// in such a time (a quote, a backslash, a control or non-ASCII byte, a digit, a separator)
// and any length must read as the general reader reads it.
TEST(FastReader, CachedTimesAgreeWhateverTheirBytes) {
  Twins twins;
  static constexpr std::string_view kTimes[] = {"2026-11-21T10:00:00.000Z", "2026-11-21T10:00:00Z",
                                                "2026-11-21T10:00:00.000+08:00", "2026-11-21T10:00:00-05:30"};
  static constexpr std::string_view kBytes[] = {"\"", "\\", "\\n", "\x01", "\xc3\xa9", "\xff", "0", "5", "9", ":", ".",
                                                "Z", "+", "-", "T", " ", "", "00", "60", "99"};
  std::mt19937_64 random(17);
  const auto line_of = [](std::string_view time, std::string_view key) {
    return R"({"id":"e1","type":"order.created","ts":")" + std::string(time) +
           R"(","order_id":"O1","user_id":"U7","amount":1,")" + std::string(key) + R"(":")" + std::string(time) + R"("})";
  };
  for (const std::string_view time : kTimes) {
    for (std::size_t at = 0; at <= time.size(); ++at) {
      for (const std::string_view bytes : kBytes) {
        EXPECT_AGREE(twins, line_of(time, "promise_at"));  // fills both caches with this layout and hour
        std::string changed(time);
        if (at < changed.size() && random() % 2 == 0) changed.replace(at, 1, bytes);
        else changed.insert(at, bytes);
        EXPECT_AGREE(twins, line_of(changed, "promise_at"));
        EXPECT_AGREE(twins, line_of(changed, "slot_start"));
      }
    }
    // The closing quote of a time of the cached length replaced: the string goes on.
    for (const char instead : std::string_view("x \\\x01,")) {
      EXPECT_AGREE(twins, line_of(time, "promise_at"));
      std::string line = line_of(time, "promise_at");
      const std::size_t quote = line.find(R"("ts":")") + 6 + time.size();
      ASSERT_EQ(line[quote], '"');
      line[quote] = instead;
      EXPECT_AGREE(twins, line);
      line.insert(quote + 1, ",");  // `...000Zx,,"order_id":`: the key after it still in place
      EXPECT_AGREE(twins, line);
    }
    // The same hour and layout, minutes and seconds of every value.
    for (int i = 0; i < 500; ++i) {
      std::string next(time);
      next[14] = static_cast<char>('0' + random() % 10);
      next[15] = static_cast<char>('0' + random() % 10);
      next[17] = static_cast<char>('0' + random() % 10);
      next[18] = static_cast<char>('0' + random() % 10);
      if (next[19] == '.') next[20 + random() % 3] = static_cast<char>('0' + random() % 10);
      EXPECT_AGREE(twins, line_of(next, "promise_at"));
    }
  }
  EXPECT_GT(twins.fast_lines(), 2000u);
}

// Digit runs are measured sixteen bytes at a time: numbers whose whole or fraction part ends
// at, just before or just past those steps (and past the 19 digits the fast reader takes),
// followed by each kind of byte.
TEST(FastReader, DigitRunsOfEveryLengthAgree) {
  Twins twins;
  std::mt19937_64 random(19);
  static constexpr std::string_view kAfter[] = {"", "e1", "E-2", ".", ".5", "x", " "};
  const auto digits = [&](std::size_t count) {
    std::string out;
    for (std::size_t i = 0; i < count; ++i) out.push_back(static_cast<char>('0' + (i == 0 ? 1 + random() % 9 : random() % 10)));
    return out;
  };
  for (std::size_t whole = 0; whole <= 34; ++whole) {
    for (std::size_t fraction = 0; fraction <= 34; ++fraction) {
      std::string number = whole == 0 ? "0" : digits(whole);
      if (fraction != 0) number += "." + std::string(1, static_cast<char>('0' + random() % 10)) + digits(fraction - 1);
      const std::string_view after = kAfter[random() % 8 == 0 ? random() % 7 : 0];
      EXPECT_AGREE(twins, R"({"id":"e","type":"rider.location","ts":0,"order_id":"O1","lat":0.5,"lng":)" + number +
                              std::string(after) + "}");
      // read_decimal alone: the end of what it takes, and the correctly rounded value.
      const std::string padded = number + std::string(40, '\0');
      double value = 0;
      const char* end = events_internal::read_decimal(padded.data(), value);
      if (whole + fraction <= 19) {
        ASSERT_EQ(end, padded.data() + number.size()) << number;
        double reference = 0;
        std::from_chars(number.data(), number.data() + number.size(), reference);
        EXPECT_EQ(std::bit_cast<std::uint64_t>(value), std::bit_cast<std::uint64_t>(reference)) << number;
      } else {
        EXPECT_EQ(end, nullptr) << number;
      }
    }
  }
  EXPECT_GT(twins.fast_lines(), 50u);  // those within [-180, 180] and 19 digits
}

// Coordinates of every shape: short and long mantissas (past 2^53 and 19 digits), signs,
// leading zeros, exponents, out of range.
TEST(FastReader, NumbersAgree) {
  Twins twins;
  std::mt19937_64 random(7);
  const auto digits = [&](std::size_t count) {
    std::string out;
    for (std::size_t i = 0; i < count; ++i) out.push_back(static_cast<char>('0' + random() % 10));
    return out;
  };
  for (int i = 0; i < 20000; ++i) {
    std::string number = random() % 4 == 0 ? "-" : "";
    const std::size_t whole = random() % 4;
    number += whole == 0 ? "0" : std::to_string(1 + random() % 9) + digits(whole - 1);
    if (random() % 8 != 0) number += "." + digits(1 + random() % 24);
    if (random() % 16 == 0) number += "e" + std::string(random() % 2 ? "-" : "") + std::to_string(random() % 30);
    const std::string line = R"({"id":"e","type":"rider.location","ts":0,"order_id":"O1","lat":)" + number +
                             R"(,"lng":)" + number + R"(,"address":{"lat":)" + number + R"(,"lng":1}})";
    EXPECT_AGREE(twins, line);
  }
  EXPECT_GT(twins.fast_lines(), 10000u);
}

// Whole numbers (money, counts, epoch times) of every length, up to past what the fast reader
// takes, with leading zeros, signs, fractions, exponents and each kind of byte after them.
TEST(FastReader, WholeNumbersAgree) {
  Twins twins;
  std::mt19937_64 random(13);
  static constexpr std::string_view kAfter[] = {"", " ", ".5", "e2", "E", "x", "-", "0"};
  for (int i = 0; i < 20000; ++i) {
    std::string number = random() % 16 == 0 ? "-" : "";
    const std::size_t digits = random() % 22;
    for (std::size_t d = 0; d < digits; ++d) number.push_back(static_cast<char>('0' + (d == 0 && random() % 4 != 0 ? 1 + random() % 9 : random() % 10)));
    const std::string after(kAfter[random() % 8 == 0 ? 1 + random() % 7 : 0]);
    const std::string line = R"({"id":"e","type":"order.created","ts":)" + (random() % 2 ? number + after : "0") +
                             R"(,"order_id":"O1","user_id":"U","amount":)" + number + after +
                             R"(,"items":[{"sku":"a","qty":)" + number + R"(,"unit_price":)" + number + after + "}]}";
    EXPECT_AGREE(twins, line);
  }
  EXPECT_GT(twins.fast_lines(), 2000u);
}

// The fast reader checks UTF-8 only over the strings that hold bytes >= 0x80 (from the first
// to the last): bad sequences in a kept string, a skipped one, a key, at a string's end, after
// an escape, beside good ones and outside strings must be rejected as the whole-line check does.
TEST(FastReader, Utf8IsCheckedWhereverItIs) {
  Twins twins;
  const std::string head = R"({"id":"e1","type":"order.created","ts":0,"order_id":"O1","user_id":"U7","amount":1,)";
  const std::vector<std::string> texts = {
      "\\u6e05", "\xe6\xb8\x85\xe6\xb2\xb3", "\xe6\xb8", "a\xff", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
      "ok\\n\xe6\xb8\x85", "ok\\n\xe6\xb8", "\xe6\xb8\x85\xe6\xb8\x85\xe6\xb8\x85\xe6\xb8\x85\xe6\xb8\x85\xe6", "\xc3\xa9",
  };
  for (const std::string& text : texts) {
    for (const std::string good : {"x", "\xc3\xa9"}) {
      EXPECT_AGREE(twins, head + R"("zone":")" + text + R"(","community":")" + good + R"("})");  // kept
      EXPECT_AGREE(twins, head + R"("community":")" + good + R"(","zone":")" + text + R"("})");
      EXPECT_AGREE(twins, head + R"("note":")" + text + R"(","zone":")" + good + R"("})");  // skipped
      EXPECT_AGREE(twins, head + R"("extra":[")" + good + R"(",{")" + text + R"(":1}]})");  // a key
      EXPECT_AGREE(twins, head + R"("address":{"text":")" + text + R"("}})");
    }
    EXPECT_AGREE(twins, head + R"("zone":"Z",)" + text + R"(:1})");  // outside a string
    EXPECT_AGREE(twins, head + R"("score":1)" + text + "}");
  }
  EXPECT_EQ(twins.accepted(), 4u * 2 * 5);  // the four valid texts, each way, and nothing else
  EXPECT_GE(twins.fast_lines(), 20u);  // valid UTF-8 without \u escapes takes the fast reader
}

// read_decimal rounds as from_chars does (both correctly), at every magnitude it takes: the
// long-mantissa path (past 2^53) included.
TEST(FastReader, DecimalsRoundCorrectly) {
  std::mt19937_64 random(5);
  for (int i = 0; i < 200000; ++i) {
    const std::size_t digits = 1 + random() % 19;
    std::string text = random() % 3 == 0 ? "-" : "";
    std::string all;
    for (std::size_t d = 0; d < digits; ++d) all.push_back(static_cast<char>('0' + random() % 10));
    const std::size_t point = random() % (digits + 1);
    std::string whole = all.substr(0, point), fraction = all.substr(point);
    while (whole.size() > 1 && whole.front() == '0') whole.erase(0, 1);
    if (whole.empty()) whole = "0";
    if (whole.size() > 1 && whole.front() == '0') continue;
    text += whole;
    if (!fraction.empty()) text += "." + fraction;
    const std::string padded = text + std::string(40, '\0');  // read_decimal reads ahead
    double fast = 0;
    const char* end = events_internal::read_decimal(padded.data(), fast);
    ASSERT_EQ(end, padded.data() + text.size()) << text;
    double reference = 0;
    std::from_chars(text.data(), text.data() + text.size(), reference);
    EXPECT_EQ(std::bit_cast<std::uint64_t>(fast), std::bit_cast<std::uint64_t>(reference)) << text;
  }
}

TEST(FastReader, TimesAgreeWithRfc3339) {
  std::mt19937_64 random(11);
  events_internal::TimeCache cache;  // carried from time to time, as in a stream
  const auto check = [&](const std::string& text) {
    const auto reference = parse_rfc3339_ms(text);
    TimeMs fast = 0;
    ASSERT_EQ(events_internal::parse_time_fast(text, fast), reference.has_value()) << text;
    if (reference) {
      EXPECT_EQ(fast, *reference) << text;
    }
    TimeMs cached = 0;
    ASSERT_EQ(events_internal::parse_time_fast(text, cached, &cache), reference.has_value()) << text;
    if (reference) {
      EXPECT_EQ(cached, *reference) << text;
    }
  };
  static constexpr std::string_view kZones[] = {"Z", "z", "+08:00", "-05:30", "+23:59", "-24:00", "+08:60", "+0800", ""};
  static constexpr std::string_view kFractions[] = {"", ".123", ".1", ".12345", ".", ".000"};
  for (int i = 0; i < 50000; ++i) {
    char text[64];
    std::snprintf(text, sizeof text, "%04u-%02u-%02u%c%02u:%02u:%02u", static_cast<unsigned>(random() % 10000),
                  static_cast<unsigned>(random() % 14), static_cast<unsigned>(random() % 33), "TTTt "[random() % 5],
                  static_cast<unsigned>(random() % 25), static_cast<unsigned>(random() % 61),
                  static_cast<unsigned>(random() % 62));
    std::string time = std::string(text) + std::string(kFractions[random() % 6]) + std::string(kZones[random() % 9]);
    if (random() % 10 == 0) time[random() % time.size()] = "0:-T.Z+x"[random() % 8];
    check(time);
    // The same hour again, as a stream sends it: minutes, seconds and fraction change (and
    // sometimes break).
    for (int again = 0; again < 3; ++again) {
      std::string next = time;
      if (next.size() >= 20) {
        next[14] = static_cast<char>('0' + random() % 7);
        next[15] = static_cast<char>('0' + random() % 10);
        next[17] = static_cast<char>('0' + random() % 7);
        next[18] = static_cast<char>('0' + random() % 10);
        if (next[19] == '.' && next.size() > 22) next[20 + random() % 3] = static_cast<char>('0' + random() % 10);
        if (random() % 8 == 0) next[14 + random() % 9] = ":.x9"[random() % 4];
      }
      check(next);
    }
  }
  check("2026-11-21T10:00:00+08:00");
  check("2024-02-29T23:59:59.999Z");
  check("2024-02-29T23:59:60.999Z");
  check("2023-02-29T00:00:00Z");
  check("0000-01-01T00:00:00.000Z");
  check("0000-01-01T00:59:59.999Z");
  check("9999-12-31T23:59:59.999-23:59");
}

}  // namespace
}  // namespace og
