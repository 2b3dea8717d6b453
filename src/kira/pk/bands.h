// Plasma-concentration bands of racemic ketamine (clinical-reference.md §7.2)
// and the check of a predicted peak against a protocol's intended band.
//
// The named constants are the reference's documented starting points, each
// with its citation and evidence tag. A protocol's intended band is data (the
// guideline library's Protocol::intended_band_*); the check takes it as an
// argument, so a clinic's signed-off values replace these without touching
// kira_pk.
#ifndef KIRA_PK_BANDS_H_
#define KIRA_PK_BANDS_H_

#include <array>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kira/pk/model.h"
#include "kira/pk/simulate.h"
#include "kira/units/units.h"

namespace kira::pk {

// A concentration range. The string_views must outlive the band (constants
// below, or strings owned by the caller's guideline library).
struct ConcentrationBand {
  std::string_view id;    // "analgesia"
  std::string_view name;  // "Analgesia"
  units::NanogramsPerMillilitre low;
  units::NanogramsPerMillilitre high;
  Evidence evidence;
  std::string_view citation;
};

// §7.2 [R30] (Zanos et al., Pharmacol Rev 2018;70(3):621-660, Table 1), tagged V.
inline constexpr ConcentrationBand kAnalgesiaBand = {
    "analgesia", "Analgesia", units::NgPerMl(70.0), units::NgPerMl(160.0), Evidence::kVerified,
    "[R30] Zanos et al. Pharmacol Rev 2018;70(3):621-660, Table 1 (IV 0.15 mg/kg and other routes)"};
inline constexpr ConcentrationBand kDissociationBand = {
    "dissociation", "Dissociation", units::NgPerMl(100.0), units::NgPerMl(250.0), Evidence::kVerified,
    "[R30] Zanos et al. Pharmacol Rev 2018;70(3):621-660, Table 1 (0.5 mg/kg over 40 min)"};
inline constexpr ConcentrationBand kGeneralAnaesthesiaBand = {
    "general_anaesthesia", "General anaesthesia", units::NgPerMl(1200.0), units::NgPerMl(2400.0),
    Evidence::kVerified, "[R30] Zanos et al. Pharmacol Rev 2018;70(3):621-660, Table 1 (IV 1-2 mg/kg)"};

// Patients woke at 2.7 umol/L in an anaesthetic infusion study [R36]; x 237.7
// g/mol (ketamine) = 642 ng/mL, which the reference rounds to approx. 640 (derived).
inline constexpr units::NanogramsPerMillilitre kAwakeningConcentration = units::NgPerMl(640.0);
inline constexpr Evidence kAwakeningEvidence = Evidence::kDerived;
inline constexpr std::string_view kAwakeningCitation =
    "[R36] Br J Anaesth 1979;51(12):1167-1173: awakening at 2.7 umol/L; x 237.7 g/mol = approx. 640 ng/mL (derived)";

// All three bands, lowest first (for plotting).
inline constexpr std::array<ConcentrationBand, 3> kReferenceBands = {kAnalgesiaBand, kDissociationBand,
                                                                     kGeneralAnaesthesiaBand};

// Frozen: rendered as "none", "soft", "hard".
enum class FindingSeverity { kNone = 0, kSoft = 1, kHard = 2 };
std::string_view FindingSeverityName(FindingSeverity s);

// Frozen: rendered as "below", "within", "above".
enum class BandPosition { kBelow = 0, kWithin = 1, kAbove = 2 };
std::string_view BandPositionName(BandPosition p);

enum class ProtocolIntent { kSubAnaesthetic, kAnaesthetic };

// The result of checking one predicted peak; the lead maps it into the
// decision record's finding (rule_id, severity, message, evidence, citation).
struct PeakFinding {
  // Stable rule ids:
  //   "pk.peak.within_band"  severity none
  //   "pk.peak.outside_band" severity soft: the peak leaves the intended band
  //   "pk.peak.anaesthetic"  severity hard: peak >= the anaesthetic threshold
  //                          for a protocol that is not anaesthetic
  std::string rule_id;
  FindingSeverity severity = FindingSeverity::kNone;
  BandPosition position = BandPosition::kWithin;
  std::string message;
  units::NanogramsPerMillilitre peak;
  units::Duration time_of_peak;
  std::string intended_band;  // "100-250 ng/mL, Dissociation"
  // The model and parameter set that produced the prediction, and the
  // evidence for the band and threshold used.
  std::string model_name;
  std::string model_citation;
  Evidence model_evidence = Evidence::kUnverified;
  std::string band_citation;
  Evidence band_evidence = Evidence::kUnverified;
  std::vector<Assumption> assumptions;
};

// The classification of a peak without its text (ClassifyPeak's rule id,
// severity and position).
struct PeakLevel {
  std::string_view rule_id = "pk.peak.within_band";
  FindingSeverity severity = FindingSeverity::kNone;
  BandPosition position = BandPosition::kWithin;
};
PeakLevel ClassifyPeakLevel(units::NanogramsPerMillilitre peak, const ConcentrationBand& intended,
                            ProtocolIntent intent, const ConcentrationBand& anaesthetic = kGeneralAnaesthesiaBand);

// Appends PeakFinding::message for a peak classified as `level` to `out`
// ("predicted peak 196 ng/mL at 40.0 min (model ..., parameters S) is within
// the intended band (...)").
void AppendPeakMessage(std::string& out, const PeakLevel& level, units::NanogramsPerMillilitre peak,
                       units::Duration time_of_peak, const ModelParameters& model, const ConcentrationBand& intended,
                       const ConcentrationBand& anaesthetic = kGeneralAnaesthesiaBand);

// Classifies `analysis.peak` against `intended`. Hard (rule
// "pk.peak.anaesthetic") when the protocol is sub-anaesthetic and the peak is
// at or above `anaesthetic.low`; otherwise soft ("pk.peak.outside_band") when
// the peak is below intended.low or above intended.high; otherwise none.
// `model` must be the model that produced `analysis`.
PeakFinding ClassifyPeak(const Analysis& analysis, const Model& model, const ConcentrationBand& intended,
                         ProtocolIntent intent, const ConcentrationBand& anaesthetic = kGeneralAnaesthesiaBand);

}  // namespace kira::pk

#endif  // KIRA_PK_BANDS_H_
