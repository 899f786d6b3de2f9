// THE order_uid rule (plugins/common/orders/order_uid.hpp) and that the checker applies it.
#include "order_uid.hpp"

#include <gtest/gtest.h>

#include <string>

#include "order_check.hpp"
#include "support/order_samples.hpp"

using sluice::orders::is_order_uid;
using sluice::orders::max_order_uid_length;

TEST(OrderUidRule, LengthAndAlphabet) {
  EXPECT_EQ(max_order_uid_length, 64u);
  EXPECT_TRUE(is_order_uid("b563feb7b2b84b6test"));
  EXPECT_TRUE(is_order_uid("A-z_0"));
  EXPECT_TRUE(is_order_uid(std::string(max_order_uid_length, 'a')));
  EXPECT_FALSE(is_order_uid(""));
  EXPECT_FALSE(is_order_uid(std::string(max_order_uid_length + 1, 'a')));
  for (const char* bad : {"a b", "a/b", "a.b", "..", "a%41", "\xc3\xbc", "a\nb", "a;b", "a\\b"}) {
    EXPECT_FALSE(is_order_uid(bad)) << bad;
  }
  EXPECT_FALSE(is_order_uid(std::string_view("a\0b", 3)));
}

TEST(OrderUidRule, TheCheckerRefusesWhatTheRuleRefuses) {
  sluice::orders::OrderChecker checker;
  EXPECT_FALSE(checker.check(sluice::test::make_order(std::string(max_order_uid_length, 'u')).dump()).has_value());
  auto violation = checker.check(sluice::test::make_order(std::string(max_order_uid_length + 1, 'u')).dump());
  ASSERT_TRUE(violation.has_value());
  // A Violation is the core's Defect triple.
  const sluice::Defect& defect = *violation;
  EXPECT_EQ(defect.reason, "invalid_order_uid");
  EXPECT_EQ(defect.pointer, "/order_uid");
}
