#include "server/static_files.h"

#include <algorithm>
#include <array>
#include <fstream>
#include <sstream>
#include <utility>

namespace og::server {

namespace fs = std::filesystem;
namespace http = boost::beast::http;

namespace {

// The page may load only its own files: no CDN, no other origin (the dashboard works with no
// internet, and a browser shows a console error for anything that tries).
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'";

bool has_extension(std::string_view segment) { return segment.find('.') != std::string_view::npos; }

}  // namespace

tl::expected<StaticFiles, std::string> StaticFiles::open(const std::string& root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return tl::unexpected("--web " + root + ": not a directory (build it with `make build`)");
  const fs::path canonical = fs::canonical(root, ec);
  if (ec) return tl::unexpected("--web " + root + ": " + ec.message());
  if (!fs::is_regular_file(canonical / "index.html", ec)) {
    return tl::unexpected("--web " + root + ": no index.html in it (build it with `make build`)");
  }
  return StaticFiles(canonical);
}

std::optional<std::string> StaticFiles::built_in_root() {
#ifdef OG_WEB_DIST
  std::error_code ec;
  if (fs::is_regular_file(fs::path(OG_WEB_DIST) / "index.html", ec)) return std::string(OG_WEB_DIST);
#endif
  return std::nullopt;
}

std::string_view StaticFiles::content_type(std::string_view filename) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 16> kTypes{{
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json; charset=utf-8"},
      {".map", "application/json; charset=utf-8"},
      {".webmanifest", "application/manifest+json; charset=utf-8"},
      {".txt", "text/plain; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".woff", "font/woff"},
      {".ttf", "font/ttf"},
      {".wasm", "application/wasm"},
  }};
  const std::size_t dot = filename.rfind('.');
  const std::size_t slash = filename.rfind('/');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) return "application/octet-stream";
  const std::string_view extension = filename.substr(dot);
  for (const auto& [suffix, type] : kTypes) {
    if (extension.size() == suffix.size() && std::equal(extension.begin(), extension.end(), suffix.begin(), [](char a, char b) {
          return (a >= 'A' && a <= 'Z' ? static_cast<char>(a - 'A' + 'a') : a) == b;
        })) {
      return type;
    }
  }
  return "application/octet-stream";
}

std::optional<Response> StaticFiles::serve(std::string_view path) const {
  // Not the dashboard's: the API and the service's own endpoints answer for themselves.
  for (std::string_view prefix : {"/v1", "/healthz", "/readyz", "/metrics"}) {
    if (path == prefix || (path.starts_with(prefix) && path.size() > prefix.size() && path[prefix.size()] == '/')) return std::nullopt;
  }
  if (path.empty() || path.front() != '/') return error_response(400, "bad_path", "a path starts with /");
  // Segments: no "..", no "." tricks, no NUL or backslash (the path is already URL-decoded).
  fs::path relative;
  std::string_view last;
  std::string_view rest = path;
  while (!rest.empty()) {
    if (rest.front() == '/') {
      rest.remove_prefix(1);
      continue;
    }
    const std::size_t slash = rest.find('/');
    const std::string_view segment = rest.substr(0, slash);
    if (segment == ".." || segment == "." || segment.find('\0') != std::string_view::npos ||
        segment.find('\\') != std::string_view::npos) {
      return error_response(400, "bad_path", "the path may not leave the dashboard's directory");
    }
    relative /= std::string(segment);
    last = segment;
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash);
  }
  if (relative.empty()) return file("index.html", false);
  const bool asset = path.starts_with("/assets/");
  if (auto found = file(relative, asset)) return found;
  // A client-side route (/incidents/inc-…, /rules): the page routes it itself.
  if (!asset && !has_extension(last)) return file("index.html", false);
  return error_response(404, "not_found", "no such file: " + std::string(path));
}

std::optional<Response> StaticFiles::file(const fs::path& relative, bool immutable) const {
  std::error_code ec;
  const fs::path resolved = fs::weakly_canonical(root_ / relative, ec);
  if (ec) return std::nullopt;
  // Under the root, whatever symlinks say.
  const auto [root_end, unused] = std::mismatch(root_.begin(), root_.end(), resolved.begin(), resolved.end());
  if (root_end != root_.end() || resolved == root_) return std::nullopt;
  if (!fs::is_regular_file(resolved, ec)) return std::nullopt;
  std::ifstream in(resolved, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream body;
  body << in.rdbuf();
  Response response{http::status::ok, 11};
  const std::string name = resolved.filename().string();
  response.set(http::field::content_type, content_type(name));
  response.set("X-Content-Type-Options", "nosniff");
  // Vite names the assets by their content: they never change. index.html always revalidates.
  response.set(http::field::cache_control, immutable ? "public, max-age=31536000, immutable" : "no-cache");
  if (name.ends_with(".html")) {
    response.set("Content-Security-Policy", kContentSecurityPolicy);
    response.set("Referrer-Policy", "no-referrer");
  }
  response.body() = std::move(body).str();
  return response;
}

}  // namespace og::server
