// PredictForDose writing into the caller's PkPrediction (the dose check keeps
// one on its stack instead of moving a result). Internal to advisor/.
#ifndef KIRA_ADVISOR_INTERNAL_PK_PREDICT_H_
#define KIRA_ADVISOR_INTERNAL_PK_PREDICT_H_

#include "kira/advisor/pk_check.h"

namespace kira::advisor::internal {

// As PredictForDose (same errors). REQUIRES: `out` freshly default-constructed.
Status PredictInto(const guideline::Protocol& protocol, const domain::Patient& patient, const DoseResult& dose,
                   const PkRequest& request, PkPrediction& out);

}  // namespace kira::advisor::internal

#endif  // KIRA_ADVISOR_INTERNAL_PK_PREDICT_H_
