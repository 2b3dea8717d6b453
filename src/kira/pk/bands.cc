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

PeakLevel ClassifyPeakLevel(units::NanogramsPerMillilitre peak, const ConcentrationBand& intended,
                            ProtocolIntent intent, const ConcentrationBand& anaesthetic) {
  PeakLevel l;
  if (peak < intended.low) {
    l.position = BandPosition::kBelow;
  } else if (peak > intended.high) {
    l.position = BandPosition::kAbove;
  }
  if (intent == ProtocolIntent::kSubAnaesthetic && peak >= anaesthetic.low) {
    l.rule_id = "pk.peak.anaesthetic";
    l.severity = FindingSeverity::kHard;
  } else if (l.position != BandPosition::kWithin) {
    l.rule_id = "pk.peak.outside_band";
    l.severity = FindingSeverity::kSoft;
  }
  return l;
}

void AppendPeakMessage(std::string& out, const PeakLevel& level, units::NanogramsPerMillilitre peak,
                       units::Duration time_of_peak, const ModelParameters& model, const ConcentrationBand& intended,
                       const ConcentrationBand& anaesthetic) {
  out += "predicted peak " + Ng(peak) + " ng/mL at " + Min(time_of_peak) + " min (model " +
         std::string(model.display_name) + ", parameters " + std::string(EvidenceTag(model.evidence)) + ")";
  if (level.severity == FindingSeverity::kHard) {
    out += " reaches the anaesthetic range (" + Describe(anaesthetic) +
           ") for a sub-anaesthetic protocol (intended band " + Describe(intended) + ")";
  } else if (level.position != BandPosition::kWithin) {
    out += (level.position == BandPosition::kAbove ? " is above" : " is below");
    out += " the intended band (" + Describe(intended) + ")";
  } else {
    out += " is within the intended band (" + Describe(intended) + ")";
  }
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
  const PeakLevel level = ClassifyPeakLevel(f.peak, intended, intent, anaesthetic);
  f.rule_id = std::string(level.rule_id);
  f.severity = level.severity;
  f.position = level.position;
  if (level.severity == FindingSeverity::kHard) {
    f.band_citation = std::string(anaesthetic.citation);
    f.band_evidence = anaesthetic.evidence;
  }
  AppendPeakMessage(f.message, level, f.peak, f.time_of_peak, p, intended, anaesthetic);
  return f;
}

}  // namespace kira::pk
