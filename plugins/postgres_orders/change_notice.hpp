// The text of the NOTIFY a batch transaction sends (README.md, "Coherent reads across instances"):
// which orders it stored at which version, which source positions it advanced, and when it
// committed.
//
// PostgreSQL refuses payloads of 8000 bytes or more, so a large batch is split into chunks,
// each a complete notice of its own (a follower applies every one as it comes); the
// positions go only into the last chunk, so a read-your-writes token is reached only once
// every key of its transaction was announced. Notifications of one transaction are delivered
// together and in the order they were sent.
//
// Format (one line each, '\n'-terminated, fields separated by one space):
//   sluice-change 1 <committed_at_us>
//   k <version> <key>                  one per stored key
//   p <partition> <offset> <stream>    one per advanced position (last chunk only)
//   gap                                an entry did not fit into any chunk: resync
// Keys and streams are percent-encoded (every byte outside [A-Za-z0-9._~-]), so no value
// can break a line or a field and the payload is plain ASCII in any server encoding.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/change_feed.hpp"

namespace sluice::pg {

// NOTIFY's own limit is "shorter than 8000 bytes".
inline constexpr std::size_t max_notice_bytes = 7999;

// The chunks to send, in order; none when `change` has neither keys nor positions.
std::vector<std::string> encode_change(const CommittedChange& change, std::size_t max_bytes = max_notice_bytes);

struct DecodedNotice {
  CommittedChange change;
  // The writer could not describe part of its transaction (an entry longer than a whole
  // notice): the follower must resync rather than trust its copy.
  bool gap = false;
};

// Nothing for a payload that is not a well-formed notice.
std::optional<DecodedNotice> decode_change(std::string_view payload);

}  // namespace sluice::pg
