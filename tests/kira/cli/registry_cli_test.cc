// End-to-end checks of the registry commands of the `kira` binary on a
// temporary SQLite file: demo, audit verify (and a tampered file), export,
// import (report and idempotent re-run), bad input naming the field.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "testing/run_command.h"

namespace {

using CliRun = ::kira::testing::CommandRun;

CliRun Kira(const std::string& args) {
  std::string cmd = std::string(KIRA_BINARY) + " " + args + " 2>&1";
  return ::kira::testing::RunCommand(cmd);
}

using ::testing::HasSubstr;

class RegistryCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("kira_regcli_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    db_ = (dir_ / "kira.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
  std::string db_;
};

TEST_F(RegistryCli, DemoThenAuditVerifyIsClean) {
  CliRun demo = Kira("demo --patients 5 --db " + db_);
  CliRun verify = Kira("audit verify --db " + db_);

  EXPECT_EQ(demo.code, 0) << demo.out;
  EXPECT_THAT(demo.out, HasSubstr("patients        5"));
  EXPECT_EQ(verify.code, 0) << verify.out;
  EXPECT_THAT(verify.out, HasSubstr("clinic demo-clinic: OK"));
}

TEST_F(RegistryCli, AuditVerifyNamesATamperedRowAndExits1) {
  ASSERT_EQ(Kira("demo --patients 2 --db " + db_).code, 0);
  // Someone edits the file with the sqlite3 shell (if present) or is
  // simulated by a second demo clinic whose chain we leave intact.
  if (std::system("command -v sqlite3 >/dev/null 2>&1") != 0) GTEST_SKIP() << "sqlite3 shell not installed";
  ASSERT_EQ(std::system(("sqlite3 " + db_ +
                         " \"DROP TRIGGER audit_log_no_update; UPDATE audit_log SET actor='mallory' WHERE seq=7\"")
                            .c_str()),
            0);

  CliRun verify = Kira("audit verify --db " + db_);

  EXPECT_EQ(verify.code, 1) << verify.out;
  EXPECT_THAT(verify.out, HasSubstr("BROKEN at row seq 7"));
}

TEST_F(RegistryCli, ExportsAndImportsRoundTripAndReRunsAddNothing) {
  ASSERT_EQ(Kira("demo --patients 3 --db " + db_).code, 0);
  const std::string rc = (dir_ / "redcap").string();

  CliRun fhir = Kira("export --fhir " + (dir_ / "fhir").string() + " --db " + db_);
  CliRun redcap = Kira("export --redcap " + rc + " --db " + db_);
  CliRun first = Kira("import " + rc + "/kira_records.csv --clinic copy --db " + db_);
  CliRun again = Kira("import " + rc + "/kira_records.csv --clinic copy --db " + db_);

  EXPECT_EQ(fhir.code, 0) << fhir.out;
  EXPECT_TRUE(std::filesystem::exists(dir_ / "fhir" / "MedicationAdministration.ndjson"));
  EXPECT_EQ(redcap.code, 0) << redcap.out;
  EXPECT_EQ(first.code, 0) << first.out;
  EXPECT_THAT(first.out, HasSubstr("0 unchanged"));
  EXPECT_EQ(again.code, 0) << again.out;
  EXPECT_THAT(again.out, HasSubstr("0 accepted"));
  EXPECT_THAT(again.out, HasSubstr("nothing to write"));
}

TEST_F(RegistryCli, ImportReportsBadRowsByLineAndField) {
  const std::string csv = (dir_ / "in.csv").string();
  std::ofstream(csv) << "clinic_id,patient_id,sex,birth_year,indication,session_id,protocol_id,started_at,"
                        "stopped_at,dosing_weight_kg,planned_dose_mg,given_dose_mg,concentration_mg_per_ml,"
                        "rate_ml_per_h,recorded_by,override_reason,height_cm\n"
                        "c1,p1,female,1980,trd,s1,iv-0.5-40min,2026-03-01T09:00:00Z,2026-03-01T09:40:00Z,70,35,35,1,52.5,u1,,170\n"
                        "c1,p1,female,1980,trd,s2,iv-0.5-40min,2026-03-02T09:00:00Z,,70,35,x,1,52.5,u1,,170\n";

  CliRun r = Kira("import " + csv + " --db " + db_);

  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("1 accepted"));
  EXPECT_THAT(r.out, HasSubstr("nothing was written"));
  EXPECT_THAT(r.out, HasSubstr("in.csv: line 3, column 12 (given_dose_mg): not a number: 'x'"));
}

// `kira import` records sessions through the same route-aware Advisor check as
// the HTTP route: an esketamine nasal-spray row has no concentration or pump
// rate and is accepted; an infusion row without its concentration is refused
// by the Advisor (exit 1), not treated as a malformed file.
TEST_F(RegistryCli, ImportIsRouteAwareForNasalSprayAndInfusionRows) {
  const std::string header =
      "clinic_id,patient_id,sex,birth_year,indication,session_id,protocol_id,started_at,"
      "stopped_at,dosing_weight_kg,planned_dose_mg,given_dose_mg,concentration_mg_per_ml,"
      "rate_ml_per_h,recorded_by,override_reason,height_cm\n";
  const std::string nasal = (dir_ / "nasal.csv").string();
  std::ofstream(nasal) << header
                       << "c1,p1,female,1980,trd,s1,in-esketamine-trd,2026-03-01T09:00:00Z,2026-03-01T11:05:00Z,"
                          "64,56,56,,,u1,,166\n";
  const std::string iv = (dir_ / "iv.csv").string();
  std::ofstream(iv) << header
                    << "c1,p2,female,1980,trd,s2,iv-0.5-40min,2026-03-01T09:00:00Z,2026-03-01T09:40:00Z,"
                       "70,35,35,,52.5,u1,,170\n";

  CliRun accepted = Kira("import " + nasal + " --db " + db_);
  CliRun refused = Kira("import " + iv + " --db " + db_);

  EXPECT_EQ(accepted.code, 0) << accepted.out;
  EXPECT_THAT(accepted.out, HasSubstr("1 accepted"));
  EXPECT_EQ(refused.code, 1) << refused.out;
  EXPECT_THAT(refused.out, HasSubstr("refused by the Advisor"));
  EXPECT_THAT(refused.out, HasSubstr("No concentration recorded for an infusion"));
}

TEST_F(RegistryCli, BadInputNamesTheOptionAndExits2) {
  CliRun patients = Kira("demo --patients 0 --db " + db_);
  CliRun secret = Kira("export --deidentified " + (dir_ / "d.csv").string() + " --db " + db_ + " < /dev/null");

  EXPECT_EQ(patients.code, 2) << patients.out;
  EXPECT_THAT(patients.out, HasSubstr("--patients"));
  EXPECT_EQ(secret.code, 2) << secret.out;
  EXPECT_THAT(secret.out, HasSubstr("--secret-file"));
}

}  // namespace
