#include "events/parser.h"

#include "core/hash.h"
#include "core/messages.h"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <string>
#include <vector>

#include "core/json_writer.h"
#include "events/fast_reader.h"
#include "events/line_state.h"

namespace og {
namespace {

using namespace events_internal;
namespace od = simdjson::ondemand;

// Errors inside an array element name the element: "items[2].qty: must be at least 1". The
// path is built only when there is an error to report.
Result in_element(std::string_view parent, std::size_t index, Result result) {
  if (result) return result;
  const std::string path = std::string(parent) + "[" + std::to_string(index) + "].";
  std::string message = std::move(result.error());
  // Malformed JSON keeps its "json: " prefix and names the whole path of the field instead.
  constexpr std::string_view kJson = "json: ";
  constexpr std::string_view kInField = "in field '";
  if (message.rfind(kJson, 0) == 0) {
    if (const auto at = message.rfind(kInField); at != std::string::npos) message.insert(at + kInField.size(), path);
    return tl::unexpected(std::move(message));
  }
  return tl::unexpected(path + message);
}

bool is_null(od::value& value) {
  bool null = false;
  return !value.is_null().get(null) && null;
}

// RFC 8259 number grammar; simdjson On-Demand does not check values it is not asked to read.
bool is_json_number(std::string_view text) {
  std::size_t i = 0;
  const auto digit = [&](std::size_t at) { return at < text.size() && text[at] >= '0' && text[at] <= '9'; };
  if (i < text.size() && text[i] == '-') ++i;
  if (!digit(i)) return false;
  if (text[i] == '0') ++i;
  else while (digit(i)) ++i;
  if (i < text.size() && text[i] == '.') {
    if (!digit(++i)) return false;
    while (digit(i)) ++i;
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    if (!digit(i)) return false;
    while (digit(i)) ++i;
  }
  return i == text.size();
}

std::string_view trim_json_space(std::string_view text) {
  const auto end = text.find_last_not_of(" \t\r\n");
  return end == std::string_view::npos ? std::string_view() : text.substr(0, end + 1);
}

class LineReader : public LineState {
 public:
  LineReader(Interner& interner, Event& event) : LineState(interner, event) {}

  Result read_object(od::object& object) {
    for (auto member : object) {
      od::field field;
      if (std::move(member).get(field)) return field_error("json", "invalid JSON: malformed member");
      std::string_view key;
      if (field.unescaped_key().get(key)) return field_error("json", "invalid JSON: malformed key");
      if (auto result = read_field(key, field.value()); !result) return result;
    }
    return {};
  }

 private:
  Result read_field(std::string_view key, od::value value) {
    switch (field_of(key)) {
      case Field::kUnknown:
      case Field::kSource:
        return skip_value(key, value, 0);
      case Field::kId: {
        std::string_view id;
        if (auto r = read_id(key, value, id); !r) return r;
        event_.id.assign(id);
        event_.id_hash = hash64(id);
        deferred_.has_id = true;
        return {};
      }
      case Field::kType:
        if (const auto error = value.get_string().get(deferred_.type_name)) return not_a_string(key, error);
        deferred_.has_type = true;
        return {};
      case Field::kTs:
        if (auto r = read_time(key, value, event_.ts); !r) return r;
        if (event_.ts == kAbsent) return field_error(key, "must not be null");
        deferred_.has_ts = true;
        return {};
      case Field::kOrderId: {
        if (is_null(value)) return {};  // absent; finish() says "missing" where it is required
        std::string_view id;
        if (auto r = read_id(key, value, id); !r) return r;
        event_.order_id = interner_.intern(id);
        return {};
      }
      case Field::kUserId: return read_symbol(key, value, event_.user_id);
      case Field::kMerchantId: return read_symbol(key, value, event_.merchant_id);
      case Field::kZone: return read_symbol(key, value, event_.zone);
      case Field::kCommunity: return read_symbol(key, value, event_.community);
      case Field::kTxnId: return read_hashed(key, value, event_.txn_id);
      case Field::kRefundId: return read_hashed(key, value, event_.refund_id);
      case Field::kSku: return read_symbol(key, value, event_.sku);
      case Field::kSubstituteSku: return read_symbol(key, value, event_.substitute_sku);
      case Field::kCategory: return read_symbol(key, value, event_.category);
      case Field::kWarehouse: return read_symbol(key, value, event_.warehouse);
      case Field::kRiderId: return read_symbol(key, value, event_.rider_id);
      case Field::kPickerId: {
        Symbol ignored = kNoSymbol;
        return read_symbol(key, value, ignored);
      }
      case Field::kCode:
      case Field::kReasonCode: return read_symbol(key, value, event_.code);
      case Field::kKind: return read_deferred(key, value, deferred_.kind, deferred_.has_kind);
      case Field::kReason: return read_deferred(key, value, deferred_.reason, deferred_.has_reason);
      case Field::kBy: return read_deferred(key, value, deferred_.by, deferred_.has_by);
      case Field::kPaymentMethod:
        return read_deferred(key, value, deferred_.payment_method, deferred_.has_payment_method);
      case Field::kUserTier: return read_deferred(key, value, deferred_.user_tier, deferred_.has_user_tier);
      case Field::kTier: return read_deferred(key, value, deferred_.tier, deferred_.has_tier);
      case Field::kSubstitutionPref:
        return read_deferred(key, value, deferred_.substitution_pref, deferred_.has_substitution_pref);
      case Field::kAmount:
        deferred_.has_amount = true;
        return read_money(key, value, event_.amount);
      case Field::kPrice: return read_money(key, value, event_.price);
      case Field::kRequested: return read_count(key, value, event_.requested);
      case Field::kAvailable:
        deferred_.has_available = true;
        return read_count(key, value, event_.available);
      case Field::kReorderPoint: return read_count(key, value, event_.reorder_point);
      case Field::kActiveOrders: return read_count(key, value, event_.active_orders);
      case Field::kScore: return read_count(key, value, event_.score);
      case Field::kRadiusM: return read_number(key, value, event_.radius_m, 0, 1e8);
      case Field::kLat:
        if (is_null(value)) return {};
        deferred_.has_lat = true;
        return read_number(key, value, event_.position.lat, -90, 90);
      case Field::kLng:
        if (is_null(value)) return {};
        deferred_.has_lng = true;
        return read_number(key, value, event_.position.lng, -180, 180);
      case Field::kAccepted:
        if (is_null(value)) return {};
        return read_bool(key, value, event_.accepted);
      case Field::kOnline: return read_bool(key, value, event_.online);
      case Field::kPromiseAt: return read_time(key, value, event_.promise_at);
      case Field::kSlotStart: return read_time(key, value, event_.slot_start);
      case Field::kSlotEnd: return read_time(key, value, event_.slot_end);
      case Field::kAddress: return read_address(key, value);
      case Field::kCoupon: return read_coupon(key, value);
      case Field::kItems: return read_items(key, value);
      case Field::kTags: return read_tags(key, value);
      case Field::kChannels: return read_channels(key, value);
      case Field::kPickupPoints: return read_pickup_points(key, value);
      case Field::kAgentId: return read_loose_text(key, value, agent().agent_id);
      case Field::kIncidentId: return read_loose_text(key, value, agent().incident_id);
      case Field::kName: return read_loose_text(key, value, agent().name);
      case Field::kResolutionCode: return read_loose_text(key, value, agent().resolution_code);
      case Field::kNote: return read_loose_text(key, value, agent().note);
      case Field::kText: return read_loose_text(key, value, agent().text);
      case Field::kTo: return read_loose_text(key, value, agent().to);
      case Field::kCapacity: return read_loose_integer(key, value, agent().capacity, agent().capacity_shape);
      case Field::kSupervisor: return read_loose_bool(key, value, agent().supervisor, agent().supervisor_shape);
      case Field::kOnDuty: return read_loose_bool(key, value, agent().on_duty, agent().on_duty_shape);
      case Field::kSkills: return read_loose_skills(key, value);
    }
    return {};
  }

  // The loose readers never reject a well-formed value: they note its shape for finish(). A
  // value of another shape is still walked by skip_value(), so invalid JSON is rejected as in
  // any extra field. A repeated key replaces.
  Result read_loose_text(std::string_view key, od::value& value, LooseText& out) {
    out = LooseText{};
    od::json_type type{};
    if (!value.type().get(type) && type == od::json_type::string && !value.get_string().get(out.text)) {
      out.shape = Shape::kPresent;
      return {};
    }
    out.shape = type == od::json_type::null ? Shape::kAbsent : Shape::kIllTyped;
    return skip_value(key, value, 0);
  }

  Result read_loose_integer(std::string_view key, od::value& value, std::int64_t& out, Shape& shape) {
    out = kAbsent;
    od::json_type type{};
    if (!value.type().get(type) && type == od::json_type::number && !value.get_int64().get(out)) {
      shape = Shape::kPresent;
      return {};
    }
    out = kAbsent;
    shape = type == od::json_type::null ? Shape::kAbsent : Shape::kIllTyped;
    return skip_value(key, value, 0);
  }

  Result read_loose_bool(std::string_view key, od::value& value, bool& out, Shape& shape) {
    out = false;
    od::json_type type{};
    if (!value.type().get(type) && type == od::json_type::boolean && !value.get_bool().get(out)) {
      shape = Shape::kPresent;
      return {};
    }
    out = false;
    shape = type == od::json_type::null ? Shape::kAbsent : Shape::kIllTyped;
    return skip_value(key, value, 0);
  }

  Result read_loose_skills(std::string_view key, od::value& value) {
    AgentDeferred& fields = agent();
    fields.skills = 0;
    fields.has_unknown_skill = false;
    fields.unknown_skill = {};
    od::json_type type{};
    od::array array;
    if (value.type().get(type) || type != od::json_type::array || value.get_array().get(array)) {
      fields.skills_shape = type == od::json_type::null ? Shape::kAbsent : Shape::kIllTyped;
      return skip_value(key, value, 0);
    }
    fields.skills_shape = Shape::kPresent;
    for (auto element : array) {
      od::value child;
      if (std::move(element).get(child)) return field_error("json", "invalid JSON (malformed array) in field " + quote_input(key));
      od::json_type child_type{};
      std::string_view name;
      if (child.type().get(child_type) || child_type != od::json_type::string || child.get_string().get(name)) {
        fields.skills_shape = Shape::kIllTyped;
        if (auto r = skip_value(key, child, 1); !r) return r;
        continue;
      }
      const auto* found = std::find(kSkillNames.begin(), kSkillNames.end(), name);
      if (found != kSkillNames.end()) {
        fields.skills = static_cast<std::uint8_t>(fields.skills | (1u << (found - kSkillNames.begin())));
      } else if (!fields.has_unknown_skill) {
        fields.has_unknown_skill = true;
        fields.unknown_skill = name;
      }
    }
    return {};
  }

  // A string simdjson could not read: another type, or a string it refuses (a \u escape of a
  // lone surrogate, a bad escape), which is not what "must be a string" would make one look for.
  static Result not_a_string(std::string_view key, simdjson::error_code error) {
    if (error == simdjson::STRING_ERROR) {
      return field_error(key, "not a valid JSON string (a bad escape, or a \\u escape of half a surrogate pair)");
    }
    return field_error(key, "must be a string");
  }

  Result read_id(std::string_view key, od::value& value, std::string_view& out) {
    if (const auto error = value.get_string().get(out)) return not_a_string(key, error);
    if (out.empty()) return field_error(key, "must not be empty");
    if (out.size() > kMaxIdBytes) return field_error(key, "longer than 128 bytes");
    return {};
  }

  Result read_string(std::string_view key, od::value& value, std::string_view& out) {
    if (is_null(value)) {
      out = {};
      return {};
    }
    if (const auto error = value.get_string().get(out)) return not_a_string(key, error);
    return {};
  }

  // EVENTS.md types `id` and `order_id` as strings and leaves the other names untyped: a
  // payment system's numeric `code` (4001), a `user_id` or `sku` that a feed writes as a
  // number, a `building` of 3. An integer is read as its decimal text, the same name as
  // "4001" (decisions #23); any other number, or a bool, says what it must be.
  Result read_name(std::string_view key, od::value& value, std::string_view& out) {
    od::json_type type{};
    if (!value.type().get(type) && type == od::json_type::number) {
      std::int64_t number = 0;
      if (value.get_int64().get(number)) return field_error(key, "must be a string or an integer");
      number_text_ = std::to_string(number);
      out = number_text_;
      return {};
    }
    if (auto r = read_string(key, value, out); !r) return r;
    if (out.size() > kMaxIdBytes * 4) return field_error(key, "longer than 512 bytes");
    return {};
  }

  Result read_symbol(std::string_view key, od::value& value, Symbol& out) {
    std::string_view text;
    if (auto r = read_name(key, value, text); !r) return r;
    out = interner_.intern(text);
    return {};
  }

  Result read_hashed(std::string_view key, od::value& value, std::uint64_t& out) {
    std::string_view text;
    if (auto r = read_name(key, value, text); !r) return r;
    out = text.empty() ? 0 : (hash64(text) | 1);  // never 0, which means absent
    return {};
  }

  Result read_deferred(std::string_view key, od::value& value, std::string_view& out, bool& present) {
    if (auto r = read_string(key, value, out); !r) return r;
    present = !out.empty();
    return {};
  }

  Result read_integer(std::string_view key, od::value& value, std::int64_t& out, std::string_view what) {
    od::json_type type;
    if (value.type().get(type)) return field_error(key, std::string("must be ") + std::string(what));
    if (type == od::json_type::null) {
      out = kAbsent;
      return {};
    }
    if (type != od::json_type::number || value.get_int64().get(out)) return field_error(key, std::string("must be ") + std::string(what));
    if (out < 0) return field_error(key, "must not be negative");
    return {};
  }

  Result read_money(std::string_view key, od::value& value, std::int64_t& out) {
    if (auto r = read_integer(key, value, out, "an integer amount in minor units (分)"); !r) return r;
    if (out > kMaxMoney) return field_error(key, "must be at most " + std::to_string(kMaxMoney) + " (分)");
    return {};
  }

  Result read_count(std::string_view key, od::value& value, std::int64_t& out) {
    return read_integer(key, value, out, "a whole number");
  }

  Result read_number(std::string_view key, od::value& value, double& out, double low, double high) {
    if (is_null(value)) return {};  // absent: `out` keeps its default
    if (value.get_double().get(out)) return field_error(key, "must be a number");
    if (!(out >= low && out <= high)) {
      return field_error(key, "out of range (" + std::to_string(low) + " to " + std::to_string(high) + ")");
    }
    return {};
  }

  Result read_bool(std::string_view key, od::value& value, bool& out) {
    if (is_null(value)) return {};  // absent: `out` keeps its default
    if (value.get_bool().get(out)) return field_error(key, "must be true or false");
    return {};
  }

  Result read_time(std::string_view key, od::value& value, TimeMs& out) {
    od::json_type type;
    if (value.type().get(type)) return field_error(key, "invalid JSON value");
    if (type == od::json_type::null) {
      out = kAbsent;
      return {};
    }
    if (type == od::json_type::number) {
      std::int64_t millis = 0;
      if (value.get_int64().get(millis)) return field_error(key, "epoch time must be whole milliseconds");
      // The range RFC 3339 can write; beyond it later arithmetic (deadlines, windows) overflows.
      if (millis < kMinEpochMs || millis > kMaxEpochMs) {
        return field_error(key, "epoch milliseconds out of range (years 0000 to 9999)");
      }
      out = millis;
      return {};
    }
    std::string_view text;
    if (type != od::json_type::string || value.get_string().get(text)) {
      return field_error(key, "must be an RFC 3339 string or integer epoch milliseconds");
    }
    auto parsed = parse_rfc3339_ms(text);
    if (!parsed) return field_error(key, parsed.error());
    out = *parsed;
    return {};
  }

  static constexpr int kMaxNesting = 64;

  // simdjson On-Demand skips a value nobody reads without validating it, so `"x":tru` or
  // `"x":[1,}` in an unknown field would pass. Walk such values so that invalid JSON anywhere
  // rejects the line (EVENTS.md) instead of reaching the journal. `path` may be any key the
  // client sent (even ""), so the message starts with "json: " and only echoes it.
  Result skip_value(std::string_view path, od::value value, int depth) {
    const auto bad = [path](std::string_view what) {
      return field_error("json", "invalid JSON (" + std::string(what) + ") in field " + quote_input(path));
    };
    od::json_type type;
    if (value.type().get(type)) return bad("not a value");
    switch (type) {
      case od::json_type::object: {
        if (depth >= kMaxNesting) return bad("nested deeper than 64 levels");
        od::object object;
        if (value.get_object().get(object)) return bad("malformed object");
        for (auto member : object) {
          od::field field;
          std::string_view child;
          if (std::move(member).get(field) || field.unescaped_key().get(child)) return bad("malformed object");
          if (auto r = skip_value(path, field.value(), depth + 1); !r) return r;
        }
        return {};
      }
      case od::json_type::array: {
        if (depth >= kMaxNesting) return bad("nested deeper than 64 levels");
        od::array array;
        if (value.get_array().get(array)) return bad("malformed array");
        for (auto element : array) {
          od::value child;
          if (std::move(element).get(child)) return bad("malformed array");
          if (auto r = skip_value(path, child, depth + 1); !r) return r;
        }
        return {};
      }
      case od::json_type::string: {
        std::string_view text;
        if (value.get_string().get(text)) return bad("malformed string");
        return {};
      }
      case od::json_type::number:
      case od::json_type::boolean:
      case od::json_type::null: {
        const std::string_view raw = trim_json_space(value.raw_json_token());
        const bool valid = type == od::json_type::number    ? is_json_number(raw)
                           : type == od::json_type::boolean ? raw == "true" || raw == "false"
                                                            : raw == "null";
        if (!valid) return bad(type == od::json_type::number ? "malformed number" : "not a value");
        return {};
      }
    }
    return bad("not a value");
  }

  // Fills `out` afresh (a repeated key replaces, like every other field) with one entry per
  // element, so that an element with no known member still counts (and is checked).
  template <typename T, typename Visit>
  Result for_each_object_in_array(std::string_view key, od::value& value, std::size_t limit, std::vector<T>& out,
                                  Visit&& visit) {
    out.clear();
    if (is_null(value)) return {};
    od::array array;
    if (value.get_array().get(array)) return field_error(key, "must be an array");
    std::size_t index = 0;
    for (auto element : array) {
      od::object object;
      if (element.get_object().get(object)) return field_error(key, "[" + std::to_string(index) + "] must be an object");
      if (index >= limit) return field_error(key, "more than " + std::to_string(limit) + " entries");
      T& entry = out.emplace_back();
      for (auto member : object) {
        od::field field;
        std::string_view child;
        if (std::move(member).get(field) || field.unescaped_key().get(child)) return field_error(key, "invalid JSON");
        if (auto r = visit(entry, index, child, field.value()); !r) return r;
      }
      ++index;
    }
    return {};
  }

  Result read_items(std::string_view key, od::value& value) {
    if (is_null(value)) {
      event_.items.clear();
      return {};
    }
    event_.has_items = true;
    auto result = for_each_object_in_array(key, value, kMaxItems, event_.items,
                                           [&](Item& item, std::size_t index, std::string_view child, od::value field) -> Result {
      return in_element(key, index, [&]() -> Result {
        if (child == "sku") return read_symbol(child, field, item.sku);
        if (child == "qty") {
          if (auto r = read_count(child, field, item.qty); !r) return r;
          if (item.qty == kAbsent) item.qty = 1;
          if (item.qty < 1) return field_error(child, "must be at least 1");
          return {};
        }
        if (child == "unit_price") return read_money(child, field, item.unit_price);
        if (child == "category") {
          std::string_view category;
          return read_string(child, field, category);
        }
        if (child == "expires_at") return read_time(child, field, item.expires_at);
        return skip_value(child, field, 0);
      }());
    });
    return result;
  }

  Result read_pickup_points(std::string_view key, od::value& value) {
    return for_each_object_in_array(key, value, kMaxItems, event_.rare().pickup_points,
                                    [&](PickupPoint& point, std::size_t index, std::string_view child, od::value field) -> Result {
      return in_element(key, index, [&]() -> Result {
        if (child == "id") return read_symbol(child, field, point.id);
        if (child == "lat") return read_number(child, field, point.position.lat, -90, 90);
        if (child == "lng") return read_number(child, field, point.position.lng, -180, 180);
        return skip_value(child, field, 0);
      }());
    });
  }

  Result read_tags(std::string_view key, od::value& value) {
    std::vector<Symbol>& tags = event_.rare().tags;
    tags.clear();  // a repeated key replaces
    if (is_null(value)) return {};
    od::array array;
    if (value.get_array().get(array)) return field_error(key, "must be an array of strings");
    for (auto element : array) {
      std::string_view tag;
      if (element.get_string().get(tag)) return field_error(key, "must be an array of strings");
      if (tags.size() >= kMaxItems) return field_error(key, "more than 1000 tags");
      tags.push_back(interner_.intern(tag));
    }
    return {};
  }

  Result read_channels(std::string_view key, od::value& value) {
    std::vector<Channel>& channels = event_.rare().channels;
    channels.clear();  // a repeated key replaces
    if (is_null(value)) return {};
    od::array array;
    if (value.get_array().get(array)) return field_error(key, "must be an array of app, sms, phone");
    for (auto element : array) {
      std::string_view name;
      if (element.get_string().get(name)) return field_error(key, "must be an array of app, sms, phone");
      if (name == "app") channels.push_back(Channel::kApp);
      else if (name == "sms") channels.push_back(Channel::kSms);
      else if (name == "phone") channels.push_back(Channel::kPhone);
      else return field_error(key, "unknown channel " + quote_input(name) + " (app, sms or phone)");
      if (channels.size() > 16) return field_error(key, "too many channels");
    }
    return {};
  }

  Result read_address(std::string_view key, od::value& value) {
    if (is_null(value)) return {};
    od::object object;
    if (value.get_object().get(object)) return field_error(key, "must be an object");
    Address& address = event_.address;
    address = Address{};
    address.present = true;
    bool has_lat = false, has_lng = false;
    for (auto member : object) {
      od::field field;
      std::string_view child;
      if (std::move(member).get(field) || field.unescaped_key().get(child)) return field_error(key, "invalid JSON");
      const std::string path = std::string(key) + "." + std::string(child);
      std::string_view text;
      if (child == "text" || child == "building" || child == "room" || child == "unit") {
        // A building, unit or room may be numbered (3, 501); the text is words.
        if (auto r = child == "text" ? read_string(path, field.value(), text) : read_name(path, field.value(), text); !r) return r;
        if (child == "text") address.has_text = !text.empty();
        if (child == "building") address.has_building = !text.empty();
        if (child == "room") address.has_room = !text.empty();
      } else if (child == "lat" || child == "lng") {
        od::value coordinate = field.value();
        if (is_null(coordinate)) continue;
        const bool is_lat = child == "lat";
        double& target = is_lat ? address.position.lat : address.position.lng;
        if (auto r = read_number(path, coordinate, target, is_lat ? -90 : -180, is_lat ? 90 : 180); !r) return r;
        (is_lat ? has_lat : has_lng) = true;
      } else if (auto r = skip_value(path, field.value(), 0); !r) {
        return r;
      }
    }
    address.has_position = has_lat && has_lng;
    return {};
  }

  Result read_coupon(std::string_view key, od::value& value) {
    if (is_null(value)) return {};
    od::object object;
    if (value.get_object().get(object)) return field_error(key, "must be an object");
    Coupon& coupon = event_.coupon;
    coupon = Coupon{};
    coupon.present = true;
    for (auto member : object) {
      od::field field;
      std::string_view child;
      if (std::move(member).get(field) || field.unescaped_key().get(child)) return field_error(key, "invalid JSON");
      const std::string path = std::string(key) + "." + std::string(child);
      Result r;
      if (child == "code") r = read_symbol(path, field.value(), coupon.code);
      else if (child == "discount") r = read_money(path, field.value(), coupon.discount);
      else if (child == "min_spend") r = read_money(path, field.value(), coupon.min_spend);
      else if (child == "expires_at") r = read_time(path, field.value(), coupon.expires_at);
      else r = skip_value(path, field.value(), 0);
      if (!r) return r;
    }
    if (coupon.discount == kAbsent) coupon.discount = 0;
    return {};
  }

  std::string number_text_;  // read_name's text of an integer, until the next one
};

constexpr std::string_view kTrailingContent = "invalid JSON: unexpected content after the event object";

// simdjson reports a line whose object is followed by more (`{...} 5`) as a document that
// "ended early in the middle of an object or array", as it does a line cut short. On that
// error only: does an object close before the line's end, with more than blanks after it?
bool closes_before_the_end(std::string_view line) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if ((c == '}' || c == ']') && --depth == 0) {
      return line.find_first_not_of(" \t\r\n", i + 1) != std::string_view::npos;
    }
  }
  return false;
}

}  // namespace

struct EventParser::Impl {
  explicit Impl(Interner& interner_in) : interner(interner_in) {}

  // Copies the line into `buffer`, followed by kPadding `padding_byte`s (simdjson reads up to
  // SIMDJSON_PADDING bytes past a document; the fast reader wants '\0' there).
  std::string_view pad(std::string_view json, char padding_byte) {
    const std::size_t needed = json.size() + kPadding;
    if (needed > capacity) {
      capacity = std::max(needed, 2 * capacity);
      buffer = std::make_unique_for_overwrite<char[]>(capacity);
    }
    if (!json.empty()) std::memcpy(buffer.get(), json.data(), json.size());
    char* padding = buffer.get() + json.size();
    for (std::size_t i = 0; i < kPadding; ++i) padding[i] = padding_byte;  // inlined, unlike memset
    return std::string_view(buffer.get(), json.size());
  }

  tl::expected<void, std::string> read_general(std::string_view line, Event& out) {
    auto result = read_document(line, out);
    if (!result && result.error().ends_with(simdjson::error_message(simdjson::INCOMPLETE_ARRAY_OR_OBJECT)) &&
        closes_before_the_end(line)) {
      return field_error("json", std::string(kTrailingContent));
    }
    return result;
  }

  tl::expected<void, std::string> read_document(std::string_view line, Event& out) {
    // A UTF-8 byte order mark, which Windows tools put before a file's (or a request body's)
    // first line, is no part of the event.
    if (line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);
    od::document document;
    // simdjson validates UTF-8 while it indexes the line (stage 1), so there is no separate pass.
    if (auto error = parser.iterate(line.data(), line.size(), line.size() + kPadding).get(document)) {
      if (error == simdjson::UTF8_ERROR) return field_error("line", "not valid UTF-8");
      return field_error("json", std::string("invalid JSON: ") + simdjson::error_message(error));
    }
    od::object object;
    if (const auto error = document.get_object().get(object)) {
      if (error != simdjson::INCORRECT_TYPE) return field_error("json", std::string("invalid JSON: ") + simdjson::error_message(error));
      return field_error("json", "not a JSON object: each line must be one event object");
    }
    LineReader reader(interner, out);
    if (auto result = reader.read_object(object); !result) return result;
    // simdjson 3.0 has no document::at_end(); current_location() is OUT_OF_BOUNDS exactly there.
    const char* trailing = nullptr;
    if (document.current_location().get(trailing) != simdjson::OUT_OF_BOUNDS) {
      return field_error("json", std::string(kTrailingContent));
    }
    return reader.finish();
  }

  static constexpr std::size_t kPadding = std::max(simdjson::SIMDJSON_PADDING, kFastPadding);
  Interner& interner;
  od::parser parser;
  std::unique_ptr<char[]> buffer;
  std::size_t capacity = 0;
  FastScratch scratch;
  std::uint64_t fast_lines = 0;
};

EventParser::EventParser(Interner& interner) : impl_(std::make_unique<Impl>(interner)) {}
EventParser::~EventParser() = default;

namespace {
tl::unexpected<std::string> too_long(std::size_t bytes) {
  return field_error("line", "longer than 1 MiB (" + std::to_string(bytes) + " bytes): split the event or trim it");
}
}  // namespace

tl::expected<void, std::string> EventParser::parse(std::string_view json, Event& out) {
  out.reset();
  if (json.size() > kMaxLineBytes) return too_long(json.size());
  const std::string_view line = impl_->pad(json, '\0');
  impl_->scratch.id_hint = {};
  if (read_fast(line, impl_->interner, out, impl_->scratch)) {
    ++impl_->fast_lines;
    return {};
  }
  // Not an ordinary line: the general reader reads it afresh (the fast one interned nothing).
  out.reset();
  std::memset(impl_->buffer.get() + line.size(), ' ', Impl::kPadding);
  return impl_->read_general(line, out);
}

tl::expected<void, std::string> EventParser::parse_terminated(std::string_view json, Event& out, std::string_view id,
                                                              std::uint64_t id_hash) {
  static_assert(kTerminatedPadding >= kFastPadding);
  out.reset();
  if (json.size() > kMaxLineBytes) return too_long(json.size());
  impl_->scratch.id_hint = id;
  impl_->scratch.id_hint_hash = id_hash;
  if (read_fast(json, impl_->interner, out, impl_->scratch)) {
    ++impl_->fast_lines;
    return {};
  }
  // simdjson wants its padding to be spaces, and the bytes past this line are not ours to write.
  out.reset();
  return impl_->read_general(impl_->pad(json, ' '), out);
}

tl::expected<void, std::string> EventParser::parse_general(std::string_view json, Event& out) {
  out.reset();
  if (json.size() > kMaxLineBytes) return too_long(json.size());
  return impl_->read_general(impl_->pad(json, ' '), out);
}

std::uint64_t EventParser::fast_lines() const { return impl_->fast_lines; }

void for_each_line(std::string_view buffer, const std::function<void(std::size_t, std::string_view)>& visit) {
  std::size_t line_number = 0;
  std::size_t start = 0;
  while (start < buffer.size()) {
    std::size_t end = buffer.find('\n', start);
    if (end == std::string_view::npos) end = buffer.size();
    std::string_view line = buffer.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    ++line_number;
    if (line.find_first_not_of(" \t") != std::string_view::npos) visit(line_number, line);
    start = end + 1;
  }
}

}  // namespace og
