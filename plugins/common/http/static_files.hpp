// Serving the web page: maps a request path to a file inside one folder and nowhere else.
// Kept free of Pistache so the path rules can be tested on their own.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace sluice::http {

enum class StaticResult {
  ok,
  bad_request,  // the path tries to leave the folder or is malformed (.., %2f, \, NUL, bad %)
  not_found,    // no such regular file inside the folder (including symlinks that point out)
};

// The page's Content-Security-Policy: its own scripts and styles only (the pages have no
// inline script or style), the inline favicon (data:), and never inside a frame (clickjacking).
inline constexpr const char* page_csp =
    "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

// The Content-Type for a file name, by extension; application/octet-stream when unknown.
const char* content_type_for(std::string_view filename);

// Decodes a request path ("/css/a%20b.css") into a path relative to the folder ("css/a b.css").
// "/" becomes "index.html". Refuses (bad_request) "." and ".." segments, encoded slashes or
// backslashes, NUL and malformed escapes; refuses (not_found) hidden segments like ".git".
StaticResult relative_static_path(std::string_view target, std::string& relative);

class StaticFiles {
 public:
  // Resolves the folder once (canonical, symlinks followed); false with `error` if it is not
  // a readable directory. Until then every lookup is not_found.
  bool open(const std::filesystem::path& folder, std::string* error);
  const std::filesystem::path& root() const { return root_; }
  // Files of the top folder whose names start with `prefix` ("admin.": the operator page) are
  // not_found here: the main listener does not hand out the admin page
  // (plugins/admin/README.md, "Routes").
  void hide(std::string prefix) { hidden_prefix_ = std::move(prefix); }

  // Reads the file for `target` into `body`; `content_type` is set on ok. The file's real
  // path must lie inside the folder, so a symlink pointing out is not_found.
  StaticResult read(std::string_view target, std::string& body, const char*& content_type) const;

 private:
  std::filesystem::path root_;
  std::string root_prefix_;  // root_ + '/', for the containment check
  std::string hidden_prefix_;
};

}  // namespace sluice::http
