// server/static_files: the dashboard's built files (web/dist) served by `orderguard serve`
// at `/` and `/assets/*`: content types by extension, no way out of the directory (`..`
// refused, the resolved path must stay under the root, symlinks included), and index.html
// for the client-side routes (a path outside /v1 whose last segment has no extension).
// Files are read at each request, so a rebuilt web/dist needs no restart.
// Owns: the mapping from URL paths to files. Depends on: server/http (Response).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

#include "server/http.h"

namespace og::server {

class StaticFiles {
 public:
  // `root` must be a directory holding index.html. Errors: "... is not a directory" ...
  static tl::expected<StaticFiles, std::string> open(const std::string& root);

  // The web/dist of the source tree this binary was built from, when it holds index.html
  // (the default of `serve --web`); nullopt otherwise.
  static std::optional<std::string> built_in_root();

  // The answer for a GET of `path` (URL-decoded, without the query): a file, index.html for
  // a client-side route, 400 for a path that tries to leave the root, 404 for a missing
  // file. nullopt for the paths that are not the dashboard's (/v1/..., /healthz ...).
  std::optional<Response> serve(std::string_view path) const;

  // "text/html; charset=utf-8", "text/javascript; charset=utf-8" ..., by the name's extension;
  // "application/octet-stream" for an unknown one.
  static std::string_view content_type(std::string_view filename);

  const std::filesystem::path& root() const { return root_; }

 private:
  explicit StaticFiles(std::filesystem::path root) : root_(std::move(root)) {}
  std::optional<Response> file(const std::filesystem::path& relative, bool immutable) const;

  std::filesystem::path root_;  // canonical
};

}  // namespace og::server
