// What the vault keeps from an accepted line (server/customer_data): the address fields in the
// vault's order, the phone, and nothing from a line without them.
#include "server/customer_data.h"

#include <gtest/gtest.h>

namespace og::server {
namespace {

TEST(CustomerExtractorTest, AddressFieldsInTheVaultsOrderWhateverTheLinesOrder) {
  CustomerExtractor extractor;
  const auto json = extractor.read(EventType::kOrderCreated,
                                   R"({"id":"e1","type":"order.created","order_id":"O1","items":[{"sku":"a","name":"}\"address\":{"}],)"
                                   R"("address":{"room":"501","lat":40.03,"unit":"2","text":"清河小区3号楼","building":"3","lng":116.3},"amount":1})");
  ASSERT_TRUE(json.has_value());
  EXPECT_EQ(*json, R"({"text":"清河小区3号楼","building":"3","unit":"2","room":"501"})");
}

// A numbered building, unit or room is kept as its text, as the parser reads it (decisions
// #23); a number for the text, or any other value, is left out.
TEST(CustomerExtractorTest, EscapesAreDecodedNumbersTakenAndEmptyOrOtherFieldsLeftOut) {
  CustomerExtractor extractor;
  const auto json = extractor.read(EventType::kOrderAddressChanged,
                                   R"({"type":"order.address_changed","address":{"text":"\u6e05\u6cb3 \"A\"","building":"","unit":null,"room":501}})");
  ASSERT_TRUE(json.has_value());
  const auto fields = parse_customer_json(*json);
  ASSERT_TRUE(fields.has_value());
  EXPECT_EQ(fields->text, "清河 \"A\"");
  EXPECT_EQ(fields->building, "");
  EXPECT_EQ(fields->unit, "");
  EXPECT_EQ(fields->room, "501");
  const auto other = extractor.read(EventType::kOrderCreated, R"({"address":{"text":13912345678,"building":3,"unit":true,"room":5.5}})");
  ASSERT_TRUE(other.has_value());
  const auto other_fields = parse_customer_json(*other);
  ASSERT_TRUE(other_fields.has_value());
  EXPECT_EQ(other_fields->text, "");
  EXPECT_EQ(other_fields->building, "3");
  EXPECT_EQ(other_fields->unit, "");
  EXPECT_EQ(other_fields->room, "");
}

TEST(CustomerExtractorTest, ARepeatedKeyCountsItsFirstTime) {
  CustomerExtractor extractor;
  const auto json = extractor.read(EventType::kOrderCreated, R"({"address":{"room":"","room":"9","text":"t","text":"u"}})");
  ASSERT_TRUE(json.has_value());
  EXPECT_EQ(*json, R"({"text":"t"})");
}

TEST(CustomerExtractorTest, NothingWithoutAddressOrPhone) {
  CustomerExtractor extractor;
  EXPECT_FALSE(extractor.read(EventType::kOrderCreated, R"({"order_id":"O1","address":{"lat":1,"lng":2}})").has_value());
  EXPECT_FALSE(extractor.read(EventType::kOrderCreated, R"({"order_id":"O1"})").has_value());
  EXPECT_FALSE(extractor.read(EventType::kOrderCreated, R"({"order_id":"O1","address":"清河"})").has_value());
  EXPECT_FALSE(extractor.read(EventType::kUserProfile, R"({"user_id":"U1","phone":""})").has_value());
  // Types that carry no customer data are not read at all.
  EXPECT_FALSE(extractor.read(EventType::kPaymentSucceeded, R"({"address":{"text":"t"}})").has_value());
}

TEST(CustomerExtractorTest, PhoneFromAProfile) {
  CustomerExtractor extractor;
  const auto json = extractor.read(EventType::kUserProfile, R"({"user_id":"U1","channels":["sms"],"phone":"13812345678"})");
  ASSERT_TRUE(json.has_value());
  EXPECT_EQ(*json, R"({"phone":"13812345678"})");
  EXPECT_EQ(mask_phone("13812345678"), "138****5678");
}

TEST(CustomerExtractorTest, AProfilesPhoneIsItsKeyAsWritten) {
  // A profile is parsed only when `"phone"` occurs in it, and then the phone is a key (not a
  // value); an escaped key is not the key (simdjson compares keys as written).
  CustomerExtractor extractor;
  EXPECT_FALSE(extractor.read(EventType::kUserProfile, R"({"user_id":"U1","channels":["phone"]})").has_value());
  EXPECT_FALSE(extractor.read(EventType::kUserProfile, R"({"user_id":"U1","ph\u006fne":"13812345678"})").has_value());
  EXPECT_FALSE(extractor.read(EventType::kUserProfile, R"({"user_id":"U1","tier":"vip"})").has_value());
  EXPECT_EQ(extractor.read(EventType::kUserProfile, R"({"note":"no \"phone\" here","phone":"139"})").value_or(""), R"({"phone":"139"})");
}

TEST(CustomerExtractorTest, OneExtractorReadsManyLinesOfDifferentLengths) {
  CustomerExtractor extractor;
  const std::string long_line = R"({"items":[)" + std::string(5000, ' ') + R"(],"address":{"text":"long"}})";
  EXPECT_EQ(extractor.read(EventType::kOrderCreated, long_line).value_or(""), R"({"text":"long"})");
  EXPECT_EQ(extractor.read(EventType::kOrderCreated, R"({"address":{"text":"s"}})").value_or(""), R"({"text":"s"})");
  EXPECT_EQ(extractor.read(EventType::kOrderCreated, long_line).value_or(""), R"({"text":"long"})");
}

}  // namespace
}  // namespace og::server
