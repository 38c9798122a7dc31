// The incident log's open index: find_open skips the hash when no incident ever opened for the
// subject, so that shortcut must never hide an open incident, before or after a save and load.
#include "engine/incident_log.h"

#include <gtest/gtest.h>

#include <string>

#include "core/serial.h"

namespace og {
namespace {

Incident make(IncidentType type, Symbol subject, TimeMs at, Symbol sku = kNoSymbol) {
  Incident incident;
  incident.type = type;
  incident.subject = subject;
  incident.sku = sku;
  incident.detected_at = at;
  return incident;
}

TEST(IncidentLogOpenIndex, FindsEveryOpenIncidentAndNothingElseAcrossSaveAndLoad) {
  Interner interner;
  const Symbol o1 = interner.intern("O1");
  const Symbol o2 = interner.intern("O2");
  const Symbol o3 = interner.intern("O3");
  const Symbol sku = interner.intern("sku-a");
  // Subjects past the first 64-bit word of the filter, and one far past its end.
  for (int i = 0; i < 200; ++i) interner.intern("filler-" + std::to_string(i));
  const Symbol late = interner.intern("O-late");
  constexpr Symbol kNeverSeen = 5'000'000;

  IncidentLog log(interner);
  const std::uint32_t timeout = log.add(make(IncidentType::kPaymentTimeout, o1, 1000)).index;
  const std::uint32_t stock = log.add(make(IncidentType::kOutOfStock, o2, 1000, sku)).index;
  log.add(make(IncidentType::kRiderStalled, late, 1000));
  EXPECT_EQ(log.find_open({IncidentType::kPaymentTimeout, o1, 0}), &log.at(timeout));
  EXPECT_EQ(log.find_open({IncidentType::kOutOfStock, o2, sku}), &log.at(stock));
  EXPECT_EQ(log.find_open({IncidentType::kOutOfStock, o2, 0}), nullptr);  // another key, same subject
  EXPECT_EQ(log.find_open({IncidentType::kPaymentTimeout, o3, 0}), nullptr);
  EXPECT_EQ(log.find_open({IncidentType::kPaymentTimeout, kNeverSeen, 0}), nullptr);

  // Closed, then opened again for the same key: the bit that stayed set must not answer alone.
  log.resolve(log.at(timeout), Resolution::kSelf, 2000);
  EXPECT_EQ(log.find_open({IncidentType::kPaymentTimeout, o1, 0}), nullptr);
  const std::uint32_t again = log.add(make(IncidentType::kPaymentTimeout, o1, 3000)).index;
  EXPECT_EQ(log.find_open({IncidentType::kPaymentTimeout, o1, 0}), &log.at(again));
  log.retract(log.at(stock), 3000);
  EXPECT_EQ(log.find_open({IncidentType::kOutOfStock, o2, sku}), nullptr);

  std::string bytes;
  serial::Writer writer(bytes);
  log.save(writer);
  IncidentLog restored(interner);
  serial::Reader reader(bytes);
  reader.set_symbol_limit(interner.size());
  restored.load(reader);
  EXPECT_EQ(restored.open_count(), 2u);
  ASSERT_NE(restored.find_open({IncidentType::kPaymentTimeout, o1, 0}), nullptr);
  EXPECT_EQ(restored.find_open({IncidentType::kPaymentTimeout, o1, 0})->index, again);
  ASSERT_NE(restored.find_open({IncidentType::kRiderStalled, late, 0}), nullptr);
  EXPECT_EQ(restored.find_open({IncidentType::kOutOfStock, o2, sku}), nullptr);
  EXPECT_EQ(restored.find_open({IncidentType::kPaymentTimeout, kNeverSeen, 0}), nullptr);

  // A subject first seen after the load, and one whose only incident closed before it.
  const std::uint32_t fresh = restored.add(make(IncidentType::kPaymentTimeout, o3, 4000)).index;
  EXPECT_EQ(restored.find_open({IncidentType::kPaymentTimeout, o3, 0}), &restored.at(fresh));
  const std::uint32_t reopened = restored.add(make(IncidentType::kOutOfStock, o2, 4000, sku)).index;
  EXPECT_EQ(restored.find_open({IncidentType::kOutOfStock, o2, sku}), &restored.at(reopened));
}

}  // namespace
}  // namespace og
