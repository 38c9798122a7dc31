// server/customer_data: the customer data the service keeps outside the deterministic engine
// (PIPL, docs/privacy.md): an order's delivery address from `order.created` and
// `order.address_changed`, a user's phone from `user.profile`. They are read from the line
// the parser accepted, only for those three types, and go to the store's vault, sealed; the
// engine never sees them. Also the masks every ordinary answer shows instead of them.
// Owns: extraction, the vault's JSON forms, masking. Depends on: events, simdjson.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "events/event_type.h"

namespace og::server {

// The vault's subjects: an order's address, a user's phone.
std::string address_subject(std::string_view order_id);
std::string phone_subject(std::string_view user_id);

// Reads what the vault keeps from an accepted event line. Not thread-safe: one per thread.
class CustomerExtractor {
 public:
  CustomerExtractor();
  ~CustomerExtractor();
  CustomerExtractor(const CustomerExtractor&) = delete;
  CustomerExtractor& operator=(const CustomerExtractor&) = delete;

  // Whether events of this type carry customer data at all (the cheap test before reading).
  static bool carries(EventType type);
  // The vault JSON of the line: {"text","building","unit","room"} for an address,
  // {"phone"} for a profile; nullopt when the line has none of it.
  std::optional<std::string> read(EventType type, std::string_view line);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A vault JSON read back (fields absent from it are empty).
struct CustomerFields {
  std::string phone;
  std::string text, building, unit, room;
};
std::optional<CustomerFields> parse_customer_json(std::string_view json);

// 13812341234 -> 138****1234 (a +86/0086 country code dropped); shorter numbers keep at most
// their last two digits; no digit of a number under 6 digits is shown.
std::string mask_phone(std::string_view phone);
// The address down to its community: "清河小区 ****" (or "****" when the community is unknown).
std::string mask_address(std::string_view community);

}  // namespace og::server
