#include "kira/pk/bands.h"

#include <string>

#include "kira/pk/internal/checks.h"

namespace kira::pk {

namespace {

std::string Ng(units::NanogramsPerMillilitre c) { return internal::FormatFixed(units::ToNgPerMl(c), 0); }

std::string Min(units::Duration d) { return internal::FormatFixed(units::ToMinutes(d), 1); }

std::string Range(const ConcentrationBand& b) { return Ng(b.low) + "-" + Ng(b.high) + " ng/mL"; }

// "100-250 ng/mL, Dissociation"
std::string Describe(const ConcentrationBand& b) { return Range(b) + ", " + std::string(b.name); }

}  // namespace

std::string_view FindingSeverityName(FindingSeverity s) {
  switch (s) {
    case FindingSeverity::kNone: return "none";
    case FindingSeverity::kSoft: return "soft";
    case FindingSeverity::kHard: return "hard";
  }
  return "none";
}

std::string_view BandPositionName(BandPosition p) {
  switch (p) {
    case BandPosition::kBelow: return "below";
    case BandPosition::kWithin: return "within";
    case BandPosition::kAbove: return "above";
  }
  return "within";
}

PeakFinding ClassifyPeak(const Analysis& analysis, const Model& model, const ConcentrationBand& intended,
                         ProtocolIntent intent, const ConcentrationBand& anaesthetic) {
  PeakFinding f;
  const ModelParameters& p = model.parameters();
  f.peak = analysis.peak.concentration;
  f.time_of_peak = analysis.peak.time;
  f.intended_band = Describe(intended);
  f.model_name = std::string(p.display_name);
  f.model_citation = std::string(p.citation);
  f.model_evidence = p.evidence;
  f.assumptions = analysis.assumptions;
  f.band_citation = std::string(intended.citation);
  f.band_evidence = intended.evidence;

  if (f.peak < intended.low) {
    f.position = BandPosition::kBelow;
  } else if (f.peak > intended.high) {
    f.position = BandPosition::kAbove;
  }
  const std::string predicted = "predicted peak " + Ng(f.peak) + " ng/mL at " + Min(f.time_of_peak) +
                                " min (model " + f.model_name + ", parameters " +
                                std::string(EvidenceTag(p.evidence)) + ")";
  if (intent == ProtocolIntent::kSubAnaesthetic && f.peak >= anaesthetic.low) {
    f.rule_id = "pk.peak.anaesthetic";
    f.severity = FindingSeverity::kHard;
    f.band_citation = std::string(anaesthetic.citation);
    f.band_evidence = anaesthetic.evidence;
    f.message = predicted + " reaches the anaesthetic range (" + Describe(anaesthetic) +
                ") for a sub-anaesthetic protocol (intended band " + f.intended_band + ")";
  } else if (f.position != BandPosition::kWithin) {
    f.rule_id = "pk.peak.outside_band";
    f.severity = FindingSeverity::kSoft;
    f.message = predicted + (f.position == BandPosition::kAbove ? " is above" : " is below") +
                " the intended band (" + f.intended_band + ")";
  } else {
    f.rule_id = "pk.peak.within_band";
    f.message = predicted + " is within the intended band (" + f.intended_band + ")";
  }
  return f;
}

}  // namespace kira::pk
