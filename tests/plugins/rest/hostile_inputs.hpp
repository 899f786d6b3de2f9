// Hostile integer inputs (README, "Operating Sluice" and "REST API": every integer input has a
// stated range) and the check that a refusal names its field: shared by the rest and admin
// plugins' input-bounds tests.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace sluice::test {

inline const std::string overlong_digits(400, '9');

// The hostile values, as query text and as JSON text.
inline const std::vector<std::string> hostile_text{"-1", "1e30", "1.5", "x", overlong_digits};
inline const std::vector<std::string> hostile_json{"-1", "1e30", "1.5", "\"x\"", overlong_digits};

inline void expect_names_field(int status, const std::string& body, const std::string& field, const std::string& what) {
  EXPECT_EQ(status, 400) << what << ": " << body;
  const auto json = nlohmann::json::parse(body, nullptr, false);
  ASSERT_TRUE(json.is_object()) << what << ": " << body;
  EXPECT_EQ(json.value("field", ""), field) << what << ": " << body;
  EXPECT_NE(json.value("error", "").find(field), std::string::npos) << what << ": " << body;
}

}  // namespace sluice::test
