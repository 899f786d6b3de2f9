#include "pg_status.hpp"

#include <string>

namespace sluice::pg {

Status status_of(const PgError& error, std::string_view who, std::string_view doing) {
  std::string message;
  message.append(who).append(": ").append(doing).append(": ").append(error.public_reason());
  return retryable(error.failure()) ? Status::retry(std::move(message)) : Status::fatal(std::move(message));
}

}  // namespace sluice::pg
