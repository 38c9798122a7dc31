// Reading a draft. The draft goes through the event parser as an order.created, so that a
// draft is accepted exactly when the order it describes would be, with the same messages:
// an envelope is spliced around the client's object (its `order_id`, when given, wins; its
// `id`, `type` and `ts`, when given, lose) and the symbols the parser interns go into an
// interner of this parse only, so reading a draft never touches the engine.
#include <string>

#include "core/interner.h"
#include "core/messages.h"
#include "events/parser.h"
#include "validate/validate.h"

namespace og {
namespace {

// Stands for "no order_id in the draft": not an id a client can send (ids have no NUL).
constexpr std::string_view kNoOrderId = std::string_view("\0draft", 6);
constexpr std::string_view kSpace = " \t\r\n";

// The parser speaks of lines and events ("missing (required for order.created)", "line: not
// valid UTF-8"); to a client it is a draft.
std::string for_a_draft(std::string message) {
  const auto replace = [&](std::string_view from, std::string_view to) {
    if (const auto at = message.find(from); at != std::string::npos) message.replace(at, from.size(), to);
  };
  replace("(required for order.created)", "(required for a draft order)");
  if (message.rfind("line: ", 0) == 0) message.replace(0, 4, "draft");
  replace("after the event object", "after the draft object");
  return message;
}

}  // namespace

tl::expected<DraftOrder, std::string> parse_draft(std::string_view json) {
  if (json.size() > kMaxDraftBytes) {
    return field_error("draft", "longer than 1 MiB (" + std::to_string(json.size()) + " bytes)");
  }
  if (json.substr(0, 3) == "\xEF\xBB\xBF") json.remove_prefix(3);  // a byte-order mark some editors write
  const auto first = json.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return field_error("json", "empty: a draft is one JSON object (an order.created payload)");
  const auto last = json.find_last_not_of(kSpace);
  if (json[first] != '{' || json[last] != '}' || last == first) {
    return field_error("json", "not a JSON object: a draft is one JSON object (an order.created payload)");
  }
  const std::string_view body = json.substr(first + 1, last - first - 1);  // between the braces
  const bool empty = body.find_first_not_of(kSpace) == std::string_view::npos;

  std::string text;
  text.reserve(json.size() + 96);
  text += R"({"order_id":")";
  text += "\\u0000draft";  // kNoOrderId, JSON-escaped
  text += '"';
  if (!empty) {
    text += ',';
    text += body;
  }
  text += R"(,"id":"draft","type":"order.created","ts":0})";

  Interner interner;
  EventParser parser(interner);
  Event event;
  if (auto parsed = parser.parse(text, event); !parsed) return tl::unexpected(for_a_draft(std::move(parsed.error())));

  const auto name = [&](Symbol symbol) { return std::string(interner.view(symbol)); };
  DraftOrder draft;
  if (interner.view(event.order_id) != kNoOrderId) draft.order_id = name(event.order_id);
  draft.user_id = name(event.user_id);
  draft.kind = event.kind;
  draft.payment_method = event.payment_method;
  draft.zone = name(event.zone);
  draft.community = name(event.community);
  draft.address = event.address;
  draft.items.reserve(event.items.size());
  for (const Item& item : event.items) draft.items.push_back(DraftItem{name(item.sku), item.qty, item.unit_price});
  draft.amount = event.amount;
  if (event.coupon.present) {
    draft.coupon.present = true;
    draft.coupon.code = name(event.coupon.code);
    draft.coupon.discount = event.coupon.discount == kAbsent ? 0 : event.coupon.discount;
    draft.coupon.min_spend = event.coupon.min_spend;
    draft.coupon.expires_at = event.coupon.expires_at;
  }
  draft.promise_at = event.promise_at;
  return draft;
}

}  // namespace og
