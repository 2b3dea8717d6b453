// The bad-input corpus (tests/kira/interop/bad_input): every file is refused
// by `kira import` with exit 2, a message naming line and column, and
// nothing written -- checked on a registry that already holds one session,
// so "nothing written" covers the audit log too. The conflicting re-import
// (a stored dose corrected in the file) is in the corpus; with --update and
// a reason it becomes an audited amendment.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "testing/run_command.h"

namespace {

using ::kira::testing::CommandRun;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;

const std::filesystem::path kHere = std::filesystem::path(KIRA_SOURCE_DIR) / "tests/kira/interop";

CommandRun Kira(const std::string& args) { return ::kira::testing::RunCommand(std::string(KIRA_BINARY) + " " + args + " 2>&1"); }

class ImportCorpus : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("kira_corpus_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    db_ = (dir_ / "kira.db").string();
    CommandRun first = Kira("import " + (kHere / "good/one_session.csv").string() + " --db " + db_);
    ASSERT_EQ(first.code, 0) << first.out;
    audit_ = AuditHead();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  // "clinic c1: OK, 3 rows verified; head seq 3 hash ..." -- the whole chain state.
  std::string AuditHead() { return Kira("audit verify --db " + db_).out; }

  std::filesystem::path dir_;
  std::string db_;
  std::string audit_;
};

TEST_F(ImportCorpus, EveryBadFileExits2NamingLineAndColumnAndWritesNothing) {
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kHere / "bad_input")) {
    const std::string path = entry.path().string();
    SCOPED_TRACE(path);
    ++files;

    CommandRun r = Kira("import " + path + " --db " + db_);

    EXPECT_EQ(r.code, 2) << r.out;
    EXPECT_THAT(r.out, ContainsRegex("line [0-9]+, column [0-9]+")) << r.out;
    EXPECT_THAT(r.out, HasSubstr("nothing was written")) << r.out;
    EXPECT_EQ(AuditHead(), audit_) << "the registry changed";
  }
  EXPECT_GE(files, 13);
}

TEST_F(ImportCorpus, MessagesNameTheColumnAsWrittenOnceWithoutRepeatedPrefixes) {
  CommandRun misspelt = Kira("import " + (kHere / "bad_input/misspelled_column.csv").string() + " --db " + db_);
  CommandRun weight = Kira("import " + (kHere / "bad_input/negative_weight.csv").string() + " --db " + db_);
  CommandRun utf16 = Kira("import " + (kHere / "bad_input/utf16.csv").string() + " --db " + db_);

  EXPECT_THAT(misspelt.out, HasSubstr("line 1, column 12 (given_dose_mgg): unknown column (did you mean 'given_dose_mg'?)"));
  EXPECT_THAT(weight.out, HasSubstr("line 3, column 10 (dosing_weight_kg): must be greater than 0, got -5"));
  EXPECT_THAT(weight.out, ::testing::Not(HasSubstr("dosing_weight_kg: dosing_weight_kg")));
  EXPECT_THAT(utf16.out, HasSubstr("UTF-16"));
}

TEST_F(ImportCorpus, DryRunListsEveryProblemAndPartialSaysWhatItLeftOut) {
  const std::string file = (kHere / "bad_input/negative_weight.csv").string();

  CommandRun dry = Kira("import --dry-run " + file + " --db " + db_);
  const std::string after_dry = AuditHead();
  CommandRun partial = Kira("import --partial " + file + " --db " + db_);

  EXPECT_EQ(dry.code, 2);
  EXPECT_THAT(dry.out, HasSubstr("dry run; nothing was written"));
  EXPECT_EQ(after_dry, audit_);
  EXPECT_EQ(partial.code, 2);
  EXPECT_THAT(partial.out, HasSubstr("2 rows read = 0 accepted + 0 amended + 0 refused by the Advisor + 1 invalid + 1 unchanged"));
}

TEST_F(ImportCorpus, AConflictingReImportIsAppliedOnlyAsAnAmendmentWithAReason) {
  const std::string file = (kHere / "bad_input/conflicting_reimport.csv").string();

  CommandRun without_reason = Kira("import --update " + file + " --db " + db_);
  CommandRun amended = Kira("import --update --reason 'pump log shows 25 mg' " + file + " --db " + db_);
  CommandRun again = Kira("import " + file + " --db " + db_);

  EXPECT_EQ(without_reason.code, 2);
  EXPECT_THAT(without_reason.out, HasSubstr("--reason"));
  EXPECT_EQ(amended.code, 0) << amended.out;
  EXPECT_THAT(amended.out, HasSubstr("1 amended"));
  EXPECT_EQ(again.code, 0) << again.out;
  EXPECT_THAT(again.out, HasSubstr("1 unchanged"));
}

// 999 mL/h for 27 mg over 40 minutes at 1 mg/mL delivers about 25 times the
// recorded dose: the row contradicts itself. The Advisor's recorded-session
// check finds it (record.inconsistent) and the importer reports it as bad
// input naming the rate column (it is in the corpus above); a consistent
// row with a dose the Advisor refuses (3 mg/kg, a hard stop of the
// protocol's session limit) stays a clinical refusal: exit 1.
TEST_F(ImportCorpus, ARateThatDisagreesWithDoseAndDurationIsBadInputNamingTheRateColumn) {
  CommandRun r = Kira("import " + (kHere / "bad_input/rate_999_for_27mg_40min.csv").string() + " --db " + db_);

  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("line 2, column 14 (rate_ml_per_h): the row contradicts itself: 999 mL/h of 1 mg/mL for 40 min delivers 666 mg, not the recorded 27 mg"));
  EXPECT_THAT(r.out, HasSubstr("0 refused by the Advisor + 1 invalid"));
  EXPECT_EQ(AuditHead(), audit_);
}

TEST_F(ImportCorpus, AConsistentRowWithADoseTheAdvisorRefusesExits1AndWritesNothing) {
  CommandRun r = Kira("import " + (kHere / "refusal/dose_3mg_per_kg_40min.csv").string() + " --db " + db_);

  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr("refused by the Advisor: hard stop"));
  // In the Advisor's words with its source, not as rule identifiers.
  EXPECT_THAT(r.out, HasSubstr("session dose 3 mg/kg exceeds the hard limit 1 mg/kg"));
  EXPECT_THAT(r.out, HasSubstr("Andrade 2017"));
  EXPECT_THAT(r.out, Not(HasSubstr("hard_max")));
  EXPECT_THAT(r.out, HasSubstr("1 refused by the Advisor + 0 invalid"));
  EXPECT_EQ(AuditHead(), audit_);
}

// A FHIR administration kira did not write is read for what it says, never
// assumed: a dose in grams, another drug, a route the protocol does not use,
// a vital sign in another unit or an administration marked void is bad input
// (exit 2, naming file, line and element) and nothing is written. The
// unchanged export imports cleanly (exit 0), so each refusal is the edit's.
class FhirImportChecks : public ImportCorpus {
 protected:
  // Exports a small demo registry once per test and returns the directory.
  std::filesystem::path Export() {
    const std::string demo_db = (dir_ / "demo.db").string();
    CommandRun demo = Kira("demo --db " + demo_db + " --patients 3");
    EXPECT_EQ(demo.code, 0) << demo.out;
    const std::filesystem::path out = dir_ / "fhir";
    CommandRun exp = Kira("export --fhir " + out.string() + " --db " + demo_db);
    EXPECT_EQ(exp.code, 0) << exp.out;
    return out;
  }
  // Replaces the first occurrence of `from` in the first line of `file`
  // that holds `marker` by `to`.
  static void Edit(const std::filesystem::path& file, const std::string& marker, const std::string& from,
                   const std::string& to) {
    std::ifstream in(file);
    std::string text, line;
    bool done = false;
    while (std::getline(in, line)) {
      if (!done && line.find(marker) != std::string::npos) {
        const std::size_t at = line.find(from);
        ASSERT_NE(at, std::string::npos) << line;
        line.replace(at, from.size(), to);
        done = true;
      }
      text += line + "\n";
    }
    ASSERT_TRUE(done) << "no line with " << marker << " in " << file;
    std::ofstream(file, std::ios::trunc) << text;
  }
  CommandRun Import(const std::filesystem::path& fhir) {
    return Kira("import --fhir " + fhir.string() + " --db " + (dir_ / "fresh.db").string());
  }
};

TEST_F(FhirImportChecks, TheUnchangedExportImports) {
  CommandRun r = Import(Export());
  EXPECT_EQ(r.code, 0) << r.out;
}

TEST_F(FhirImportChecks, ADoseInAnotherUnitIsRefusedNotAssumedMilligrams) {
  const auto fhir = Export();
  Edit(fhir / "MedicationAdministration.ndjson", "\"dose\"", "\"code\":\"mg\"", "\"code\":\"g\"");
  CommandRun r = Import(fhir);
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("MedicationAdministration.ndjson dosage.dose): must be in UCUM 'mg'"));
  EXPECT_THAT(r.out, HasSubstr("got 'g'"));
  EXPECT_THAT(r.out, HasSubstr("nothing was written"));
}

TEST_F(FhirImportChecks, AnotherDrugIsNotAKetamineSession) {
  const auto fhir = Export();
  Edit(fhir / "MedicationAdministration.ndjson", "rxnorm", "\"code\":\"6130\"", "\"code\":\"161\"");
  CommandRun r = Import(fhir);
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("medicationCodeableConcept): protocol 'iv-0.5-40min' gives ketamine (RxNorm 6130), but this names RxNorm 161"));
}

TEST_F(FhirImportChecks, ARouteTheProtocolDoesNotUseIsRefused) {
  const auto fhir = Export();
  Edit(fhir / "MedicationRequest.ndjson", "47625008", "47625008", "46713006");
  CommandRun r = Import(fhir);
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("dosageInstruction.route): protocol 'iv-0.5-40min' is given by the Intravenous route"));
}

TEST_F(FhirImportChecks, AnAdministrationMarkedVoidIsNotImportedAsGiven) {
  const auto fhir = Export();
  Edit(fhir / "MedicationAdministration.ndjson", "\"status\":\"completed\"", "\"status\":\"completed\"",
       "\"status\":\"entered-in-error\"");
  CommandRun r = Import(fhir);
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("status): 'entered-in-error': kira imports administrations that were given"));
}

TEST_F(FhirImportChecks, AVitalSignInAnotherUnitIsRefused) {
  const auto fhir = Export();
  Edit(fhir / "Observation.ndjson", "8867-4", "\"code\":\"/min\"", "\"code\":\"/h\"");
  CommandRun r = Import(fhir);
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("Observation.ndjson valueQuantity): must be in UCUM '/min'"));
}

// Weight and height also travel as standard R4 body-weight and body-height
// Observations beside the facts resource: an import checks that they agree
// with the facts version they name, and records nothing of their own.
TEST_F(FhirImportChecks, ABodyWeightThatDisagreesWithItsFactsVersionIsRefused) {
  const auto fhir = Export();
  Edit(fhir / "Observation.ndjson", "29463-7", "\"unit\":\"kg\",\"value\":", "\"unit\":\"kg\",\"value\":1");
  CommandRun r = Import(fhir);
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("Observation.ndjson valueQuantity): the body weight ("));
  EXPECT_THAT(r.out, HasSubstr("disagrees with clinical-facts version"));
}

TEST_F(FhirImportChecks, ABodyHeightNamingNoFactsVersionIsRefused) {
  const auto fhir = Export();
  Edit(fhir / "Observation.ndjson", "8302-2", "/facts-1\"", "/facts-99\"");
  CommandRun r = Import(fhir);
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("names no clinical-facts version of this import"));
}

}  // namespace
