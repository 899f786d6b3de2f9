// ListenPorts (sluice/listen_ports.hpp): a port is taken over only by the API that holds it,
// and a listener learns that a later one of its API took its port over.
#include "sluice/listen_ports.hpp"

#include <gtest/gtest.h>

namespace sluice {
namespace {

// Ports far from any the other tests of this process claim.
constexpr std::uint16_t kPort = 61001;

TEST(ListenPorts, AnotherApiCannotClaimAPortThatOneHolds) {
  const auto rest = ListenPorts::claim(kPort, "rest");
  ASSERT_NE(rest, 0u);
  std::string holder;
  EXPECT_EQ(ListenPorts::claim(kPort, "admin", &holder), 0u);
  EXPECT_EQ(holder, "rest");
  ListenPorts::release(kPort, rest);
  const auto admin = ListenPorts::claim(kPort, "admin");
  EXPECT_NE(admin, 0u) << "a released port is free again";
  ListenPorts::release(kPort, admin);
}

TEST(ListenPorts, TheSameApiTakesItsPortOverAndTheOldListenerKnows) {
  const auto old_claim = ListenPorts::claim(kPort + 1, "rest");
  EXPECT_FALSE(ListenPorts::held_before(kPort + 1, old_claim));
  EXPECT_FALSE(ListenPorts::superseded(kPort + 1, old_claim));
  const auto new_claim = ListenPorts::claim(kPort + 1, "rest");
  ASSERT_NE(new_claim, 0u);
  EXPECT_TRUE(ListenPorts::held_before(kPort + 1, new_claim));
  EXPECT_TRUE(ListenPorts::superseded(kPort + 1, old_claim));
  EXPECT_FALSE(ListenPorts::superseded(kPort + 1, new_claim));
  ListenPorts::release(kPort + 1, old_claim);
  EXPECT_FALSE(ListenPorts::held_before(kPort + 1, new_claim));
  ListenPorts::release(kPort + 1, new_claim);
}

TEST(ListenPorts, AListenerMovedToAnotherPortIsSupersededToo) {
  const auto old_claim = ListenPorts::claim(kPort + 2, "rest");
  const auto other = ListenPorts::claim(kPort + 4, "admin");
  EXPECT_FALSE(ListenPorts::superseded(kPort + 2, old_claim)) << "another API's claim replaces nothing";
  const auto new_claim = ListenPorts::claim(kPort + 3, "rest");
  EXPECT_TRUE(ListenPorts::superseded(kPort + 2, old_claim));
  EXPECT_FALSE(ListenPorts::held_before(kPort + 3, new_claim)) << "nothing to take over on the new port";
  for (auto [port, claim] : {std::pair{kPort + 2, old_claim}, {kPort + 3, new_claim}, {kPort + 4, other}}) {
    ListenPorts::release(static_cast<std::uint16_t>(port), claim);
  }
}

TEST(ListenPorts, PortZeroIsNeverShared) {
  const auto a = ListenPorts::claim(0, "rest");
  const auto b = ListenPorts::claim(0, "admin");
  EXPECT_NE(a, 0u);
  EXPECT_NE(b, 0u);
  EXPECT_FALSE(ListenPorts::superseded(0, a));
  ListenPorts::release(0, a);
  ListenPorts::release(0, b);
}

}  // namespace
}  // namespace sluice
