// The operator commands' side of the admin API (`sluice status`, `tap`, `reload`,
// `dead-letters`): where the admin listener is, the admin token, and HTTP(S) calls to it
// (cpp-httplib). Every command talks to a running `sluice run`, so there is one
// implementation of each operation: the server's.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace httplib {
class Client;
}

namespace sluice::cli {

struct AdminTarget {
  std::string url;         // --admin-url, else SLUICE_ADMIN_URL, else http://127.0.0.1:8082
  std::string token_file;  // --token-file, else SLUICE_ADMIN_TOKEN_FILE; else SLUICE_ADMIN_TOKEN
  std::string cacert;      // --cacert: the CA (or self-signed certificate) of an https:// URL
  int timeout_s = 120;     // --timeout: replays and reloads can take a while
};

// Adds --admin-url, --token-file, --cacert and --timeout to `cmd`.
void add_admin_options(CLI::App* cmd, AdminTarget& target);

struct AdminAnswer {
  int status = 0;  // HTTP status; 0: no answer (see error)
  std::string body;
  std::string error;            // why there is no answer (connection refused, TLS, timeout)
  bool truncated = false;       // the server cut a streamed answer at its size limit (X-Sluice-Truncated)
  nlohmann::json json() const;  // the body parsed; null if it is not JSON
};

class AdminClient {
 public:
  // Throws std::runtime_error with a message for the operator (no token, bad URL).
  explicit AdminClient(const AdminTarget& target);
  ~AdminClient();

  AdminAnswer get(const std::string& path);
  AdminAnswer post(const std::string& path, const nlohmann::json& body);
  AdminAnswer del(const std::string& path);
  // GET whose body is handed over chunk by chunk as it arrives; `chunk` returns false to stop.
  AdminAnswer stream(const std::string& path, const std::function<bool(std::string_view)>& chunk);

  const std::string& url() const { return url_; }

 private:
  std::string url_;
  std::unique_ptr<httplib::Client> client_;
};

// Prints an error answer for the operator ("401 Unauthorized: ..." or "cannot reach ...") and
// returns the exit code for it.
int report_failure(const AdminClient& client, const AdminAnswer& answer);
// application/x-www-form-urlencoded escaping of a query value.
std::string url_escape(std::string_view text);

}  // namespace sluice::cli
