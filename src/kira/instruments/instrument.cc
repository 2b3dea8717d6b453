#include "kira/instruments/instrument.h"

namespace kira::instruments {

std::string_view ScoringName(Scoring s) {
  switch (s) {
    case Scoring::kSum: return "sum";
    case Scoring::kDomainMaxSum: return "domain_max_sum";
    case Scoring::kMean: return "mean";
  }
  return "sum";
}

bool ParseScoring(std::string_view s, Scoring* out) {
  for (Scoring v : {Scoring::kSum, Scoring::kDomainMaxSum, Scoring::kMean}) {
    if (ScoringName(v) == s) {
      *out = v;
      return true;
    }
  }
  return false;
}

const Band* Instrument::BandFor(double total) const {
  for (const Band& b : bands) {
    if (total >= b.min && total <= b.max) return &b;
  }
  return nullptr;
}

const Instrument* InstrumentLibrary::Find(std::string_view instrument_id) const {
  for (const Instrument& i : instruments) {
    if (i.id == instrument_id) return &i;
  }
  return nullptr;
}

}  // namespace kira::instruments
