// replay/output: the engine's results as the files of INTERFACES.md: incidents NDJSON and the
// report JSON; plus the one-line form golden cases compare. Deterministic: the same engine
// state always gives the same bytes. Depends on: engine.
#pragma once

#include <string>

#include "engine/engine.h"
#include "replay/replay.h"

namespace og {

void append_incident_json(std::string& out, const Incident& incident, const Interner& interner);

// Every incident in its final state, one JSON object per line, by (detected_at, creation).
std::string incidents_ndjson(const Engine& engine, const Interner& interner);

// Every command the playbooks emitted, one JSON object per line, in emission order.
std::string commands_ndjson(const Engine& engine);

// Counts per type and status, input counts, and the handling measures.
std::string report_json(const Engine& engine, const ReplayStats& stats);

// "TYPE order:O1 [sku=S] [stage=ST] [of=TYPE] severity=low detected=... status=open[/self]"
std::string golden_line(const Incident& incident, const Interner& interner);

}  // namespace og
