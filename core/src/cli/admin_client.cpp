#include "admin_client.hpp"

#include <httplib.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include "commands.hpp"

namespace sluice::cli {

namespace {

constexpr const char* kDefaultUrl = "http://127.0.0.1:8082";

std::string env_or(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value && *value ? value : fallback;
}

std::string trim(std::string text) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && is_space(text.back())) text.pop_back();
  std::size_t start = 0;
  while (start < text.size() && is_space(text[start])) ++start;
  return text.substr(start);
}

// A file holding just the token, or a tokens file as the rest plugin reads it
// ("<role> <token>" lines): its first admin token.
std::string token_from_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read the token file " + path);
  std::string line;
  std::string only;
  int lines = 0;
  while (std::getline(in, line)) {
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    ++lines;
    std::istringstream words(line);
    std::string first, second;
    words >> first >> second;
    if (first == "admin" && !second.empty()) return second;
    if (second.empty()) only = first;
  }
  if (lines == 1 && !only.empty()) return only;
  throw std::runtime_error("the token file " + path + " holds no admin token (a line \"admin <token>\")");
}

}  // namespace

void add_admin_options(CLI::App* cmd, AdminTarget& target) {
  cmd->add_option("--admin-url", target.url,
                  "The admin API of a running sluice (the pipeline file's admin: listen); default "
                  "$SLUICE_ADMIN_URL, else " +
                      std::string(kDefaultUrl));
  cmd->add_option("--token-file", target.token_file,
                  "File with the admin token (alone, or an \"admin <token>\" line); default "
                  "$SLUICE_ADMIN_TOKEN_FILE, else the token itself in $SLUICE_ADMIN_TOKEN");
  cmd->add_option("--cacert", target.cacert, "CA certificate to check an https:// admin URL against");
  cmd->add_option("--timeout", target.timeout_s, "Seconds to wait for an answer")->capture_default_str();
}

nlohmann::json AdminAnswer::json() const { return nlohmann::json::parse(body, nullptr, false); }

AdminClient::AdminClient(const AdminTarget& target) {
  url_ = target.url.empty() ? env_or("SLUICE_ADMIN_URL", kDefaultUrl) : target.url;
  while (!url_.empty() && url_.back() == '/') url_.pop_back();
  if (!url_.starts_with("http://") && !url_.starts_with("https://")) {
    throw std::runtime_error("the admin URL must start with http:// or https:// (got \"" + url_ + "\")");
  }
  std::string token;
  const std::string file = target.token_file.empty() ? env_or("SLUICE_ADMIN_TOKEN_FILE", "") : target.token_file;
  if (!file.empty()) {
    token = token_from_file(file);
  } else {
    token = trim(env_or("SLUICE_ADMIN_TOKEN", ""));
  }
  if (token.empty()) {
    throw std::runtime_error(
        "no admin token: set SLUICE_ADMIN_TOKEN, or pass --token-file (see the README, "
        "Operating Sluice)");
  }
  client_ = std::make_unique<httplib::Client>(url_);
  if (!client_->is_valid()) throw std::runtime_error("cannot use the admin URL " + url_);
  client_->set_bearer_token_auth(token);
  client_->set_connection_timeout(5, 0);
  client_->set_read_timeout(target.timeout_s, 0);
  client_->set_write_timeout(30, 0);
  if (!target.cacert.empty()) client_->set_ca_cert_path(target.cacert.c_str());
  if (url_.starts_with("https://")) client_->enable_server_certificate_verification(true);
}

AdminClient::~AdminClient() = default;

namespace {

// Why there is no answer, in the operator's words: httplib's own names ("SSLServerVerification")
// say neither what went wrong nor what to do.
std::string no_answer(httplib::Error error) {
  switch (error) {
    case httplib::Error::Connection:
      return "connection refused or host unreachable (is `sluice run` up with an admin token configured? see "
             "--admin-url)";
    case httplib::Error::SSLServerVerification:
      return "the server's TLS certificate was not accepted (self-signed, signed by an unknown CA, or not for this "
             "host name): pass its CA or its self-signed certificate with --cacert";
    case httplib::Error::SSLLoadingCerts:
      return "cannot load the CA certificate given with --cacert";
    case httplib::Error::SSLConnection:
      return "the TLS handshake failed (does the admin listener serve http://, not https://?)";
    default:
      return httplib::to_string(error);
  }
}

AdminAnswer answer_of(const httplib::Result& result) {
  AdminAnswer out;
  if (!result) {
    out.error = no_answer(result.error());
    return out;
  }
  out.status = result->status;
  out.body = result->body;
  return out;
}

}  // namespace

AdminAnswer AdminClient::get(const std::string& path) { return answer_of(client_->Get(path)); }

AdminAnswer AdminClient::post(const std::string& path, const nlohmann::json& body) {
  return answer_of(client_->Post(path, body.dump(), "application/json"));
}

AdminAnswer AdminClient::del(const std::string& path) { return answer_of(client_->Delete(path)); }

AdminAnswer AdminClient::stream(const std::string& path, const std::function<bool(std::string_view)>& chunk) {
  AdminAnswer out;
  auto result = client_->Get(
      path,
      [&](const httplib::Response& response) {
        out.status = response.status;
        out.truncated = response.has_header("X-Sluice-Truncated");
        return true;
      },
      [&](const char* data, std::size_t length) {
        // Error answers come whole and small; keep them for the message.
        if (out.status != 200) {
          out.body.append(data, length);
          return true;
        }
        return chunk(std::string_view(data, length));
      });
  if (!result && result.error() != httplib::Error::Canceled) out.error = no_answer(result.error());
  return out;
}

int report_failure(const AdminClient& client, const AdminAnswer& answer) {
  if (answer.status == 0) {
    std::cerr << "error: cannot reach the admin API at " << client.url() << ": " << answer.error << "\n";
    return exit_failure;
  }
  auto body = answer.json();
  std::string message = body.is_object() && body.contains("error") && body["error"].is_string()
                            ? body["error"].get<std::string>()
                            : answer.body;
  std::cerr << "error: " << answer.status << " from " << client.url() << ": " << message << "\n";
  if (answer.status == 401) std::cerr << "hint: the admin token was not accepted (SLUICE_ADMIN_TOKEN, --token-file)\n";
  if (answer.status == 403) std::cerr << "hint: this token has the read role; admin endpoints need an admin token\n";
  return exit_failure;
}

std::string url_escape(std::string_view text) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += digits[c >> 4];
      out += digits[c & 0xf];
    }
  }
  return out;
}

}  // namespace sluice::cli
