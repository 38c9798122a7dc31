// server/event_body: what a POST /v1/events body holds before it is journaled. The spec takes
// "one event or an NDJSON batch"; one event may come pretty-printed over several lines, and
// the journal and the engine read NDJSON. Depends on: nothing of the project (simdjson only).
#pragma once

#include <cstddef>
#include <string>

namespace og::server {

// When `body` is one JSON object spread over several lines, rewrites its line breaks as
// spaces so it is one NDJSON line, and returns true. A JSON document holds no raw line break
// inside a string, so the object is unchanged. Anything else, an NDJSON batch or a batch with
// a broken line, is left as it is, so each line is still read and answered on its own.
bool join_one_event(std::string& body);

// Lines in an NDJSON body, the last one counted without its '\n' too.
std::size_t ndjson_lines(const std::string& body);

}  // namespace og::server
