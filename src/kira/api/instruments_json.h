// JSON adapter for guidelines/instruments.json and for rendering scores.
// No JSON type appears in this header.
#ifndef KIRA_API_INSTRUMENTS_JSON_H_
#define KIRA_API_INSTRUMENTS_JSON_H_

#include <string>
#include <string_view>

#include "kira/base/statusor.h"
#include "kira/instruments/instrument.h"
#include "kira/instruments/scoring.h"

namespace kira::api {

// Parses and validates an instrument library (guidelines/instruments.json).
// Errors: kInvalidArgument naming the JSON path of the first bad field, e.g.
// "instruments[1].items[3].max: is required (an integer)", "instruments[0].bands[2]: overlaps
// bands[1]", "instruments[4].alerts[0].items[0]: unknown item 'item99'".
StatusOr<instruments::InstrumentLibrary> ParseInstrumentLibrary(std::string_view text);

// Renders a score: instrument, items, total, band and its decision record.
std::string ScoreResultToJson(const instruments::ScoreResult& r, const instruments::Instrument& ins);

}  // namespace kira::api

#endif  // KIRA_API_INSTRUMENTS_JSON_H_
