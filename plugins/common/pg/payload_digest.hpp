// The SHA-256 kept with every dead letter (dead_letters.raw_sha256) is computed here, in the
// sink, over the whole payload as received: hashing in SQL would mean sending every byte of a
// large message to the server only to keep max_payload_bytes of it.
#pragma once

#include <string>
#include <string_view>

namespace sluice::pg {

// Lower-case hex SHA-256 of `bytes` (OpenSSL EVP). Throws std::runtime_error if OpenSSL fails.
std::string sha256_hex(std::string_view bytes);

}  // namespace sluice::pg
