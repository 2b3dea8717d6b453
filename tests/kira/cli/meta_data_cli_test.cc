// `kira meta --data FILE` end to end: each input type and model on the
// examples in examples/meta (metafor's datasets) gives metafor's numbers
// (tests/golden/metafor/metafor_reference.json, relative 1e-6), the JSON
// records inputs, options and version, and bad files exit 2 naming the row,
// line and column.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "testing/run_command.h"

namespace {

using ::kira::testing::RunCommand;
using Json = nlohmann::json;

const std::string kKira = KIRA_BINARY;
const std::string kEx = std::string(KIRA_SOURCE_DIR) + "/examples/meta/";

const Json& Fixture() {
  static const Json f = [] {
    std::ifstream in(std::string(KIRA_SOURCE_DIR) + "/tests/golden/metafor/metafor_reference.json");
    return Json::parse(in);
  }();
  return f;
}

Json RunJson(const std::string& args) {
  const auto run = RunCommand(kKira + " meta --json " + args + " 2>&1");
  EXPECT_EQ(run.code, 0) << run.out;
  if (run.code != 0) return Json::object();
  return Json::parse(run.out);
}

const Json& RmaRow(const std::string& dataset, const std::string& measure, const std::string& method,
                   const std::string& test) {
  for (const Json& r : Fixture()["rma"]) {
    if (r["dataset"] == dataset && r["measure"] == measure && r["method"] == method && r["test"] == test &&
        r.value("level", 95) == 95) {
      return r;
    }
  }
  static const Json none;
  ADD_FAILURE() << "no fixture row " << dataset << "/" << measure;
  return none;
}

double Scalar(const Json& j) { return j.is_array() ? j[0].get<double>() : j.get<double>(); }

void ExpectNear(double actual, double expected) {
  EXPECT_NEAR(actual, expected, 1e-6 * std::fabs(expected) + 1e-10) << "metafor: " << expected;
}

void ExpectPooledMatches(const Json& out, const Json& row) {
  const Json& m = out["model"];
  ExpectNear(m["coefficients"][0]["estimate"].get<double>(), Scalar(row["beta"]));
  ExpectNear(m["coefficients"][0]["se"].get<double>(), Scalar(row["se"]));
  ExpectNear(m["tau2"].get<double>(), Scalar(row["tau2"]));
  ExpectNear(m["heterogeneity"]["q"].get<double>(), Scalar(row["QE"]));
  ExpectNear(m["prediction_riley"]["low"].get<double>(), Scalar(row["pi_riley_lb"]));
  ExpectNear(m["fit_reml"]["log_likelihood"].get<double>(), row["fit_reml"][0].get<double>());
}

TEST(MetaData, TwoByTwoCountsMatchMetafor) {
  const Json out = RunJson("--data " + kEx + "bcg-2x2.csv");
  EXPECT_EQ(out["data"]["kind"], "2x2");
  ExpectPooledMatches(out, RmaRow("bcg", "OR", "REML", "z"));
  // Reproducibility: the document carries the rows, the options and the version.
  EXPECT_EQ(out["input"]["rows"].size(), 13u);
  EXPECT_EQ(out["options"]["method"], "REML");
  EXPECT_EQ(out["kira_version"], "0.1.0");
  EXPECT_TRUE(out["model"].contains("mantel_haenszel"));
  EXPECT_TRUE(out["model"]["mantel_haenszel"].contains("tarone"));
}

TEST(MetaData, ArmTotalsGiveTheSameFitAsCounts) {
  const Json a = RunJson("--data " + kEx + "bcg-2x2.csv --measure RR --method DL");
  const Json b = RunJson("--data " + kEx + "bcg-2x2-totals.csv --measure RR --method DL");
  EXPECT_EQ(b["data"]["kind"], "2x2-totals");
  ExpectPooledMatches(b, RmaRow("bcg", "RR", "DL", "z"));
  EXPECT_DOUBLE_EQ(a["model"]["coefficients"][0]["estimate"].get<double>(),
                   b["model"]["coefficients"][0]["estimate"].get<double>());
}

TEST(MetaData, MeansAndProportionsMatchMetafor) {
  ExpectPooledMatches(RunJson("--data " + kEx + "normand1999-means.json --measure SMD"),
                      RmaRow("normand1999", "SMD", "REML", "z"));
  ExpectPooledMatches(RunJson("--data " + kEx + "pritz1997-proportions.csv --test knha"),
                      RmaRow("pritz1997", "PLO", "REML", "knha"));
}

TEST(MetaData, StandardErrorsAndMetaRegression) {
  const Json out = RunJson("--data " + kEx + "bcg-yi-sei.csv --mods ablat --measure OR");
  ASSERT_EQ(out["model"]["coefficients"].size(), 2u);
  for (const Json& r : Fixture()["metareg"]) {
    if (r["method"] == "REML" && r["test"] == "z" && r["mods"] == "ablat") {
      // yi and sei are rounded to 6 decimals in the example file.
      EXPECT_NEAR(out["model"]["coefficients"][1]["estimate"].get<double>(), r["beta"][1].get<double>(), 1e-5);
    }
  }
}

TEST(MetaData, MultilevelAndMultivariateMatchRmaMv) {
  const Json ml = RunJson("--data " + kEx + "konstantopoulos2011-multilevel.csv --random district/school");
  const Json mv = RunJson("--data " + kEx + "berkey1998-multivariate.csv --random 'outcome|trial' --struct UN");
  for (const Json& r : Fixture()["rma_mv"]) {
    if (r["method"] != "REML" || r["test"] != "z" || r.contains("mods")) continue;
    if (r["name"] == "konstantopoulos2011") {
      ExpectNear(ml["model"]["coefficients"][0]["estimate"].get<double>(), Scalar(r["beta"]));
      ExpectNear(ml["model"]["variance_components"][0]["estimate"].get<double>(), r["sigma2"][0].get<double>());
      ExpectNear(ml["model"]["variance_components"][1]["estimate"].get<double>(), r["sigma2"][1].get<double>());
    }
    if (r["name"] == "berkey1998" && r["struct"] == "UN") {
      ExpectNear(mv["model"]["coefficients"][0]["estimate"].get<double>(), r["beta"][0].get<double>());
      ExpectNear(mv["model"]["coefficients"][1]["estimate"].get<double>(), r["beta"][1].get<double>());
    }
  }
}

TEST(MetaData, NetworkMatchesRmaMvAndRanksByPScore) {
  const std::string svg = ::testing::TempDir() + "/network.svg";
  const Json out = RunJson("--data " + kEx + "hasselblad1998-network.csv --network --reference no_contact --to all --svg " + svg);
  const Json* reml = nullptr;
  for (const Json& r : Fixture()["network"]) {
    if (r["method"] == "REML") reml = &r;
  }
  ASSERT_NE(reml, nullptr);
  const Json& m = out["model"];
  for (std::size_t j = 0; j < 3; ++j) {
    ExpectNear(m["coefficients"][j]["estimate"].get<double>(), (*reml)["beta"][j].get<double>());
  }
  ExpectNear(m["tau2"].get<double>(), (*reml)["tau2"].get<double>());
  ExpectNear(m["p_scores"]["grp_counseling"].get<double>(), (*reml)["pscore"][1].get<double>());
  ExpectNear(m["consistency"]["q_between"].get<double>(), (*reml)["Q_between"].get<double>());
  EXPECT_EQ(m["contrasts"].size(), 12u);  // 4 x 3 ordered pairs
  std::ifstream in(svg);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("class=\"comparison\""), std::string::npos);
  const auto bad = RunCommand(kKira + " meta --data " + kEx + "hasselblad1998-network.csv --network --reference nope 2>&1");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.out.find("--reference: treatment 'nope'"), std::string::npos) << bad.out;
}

TEST(MetaData, PlotsAreWritten) {
  const std::string svg = ::testing::TempDir() + "/meta_forest.svg";
  const std::string funnel = ::testing::TempDir() + "/meta_funnel.svg";
  const auto run = RunCommand(kKira + " meta --data " + kEx + "bcg-2x2.csv --svg " + svg + " --funnel " + funnel);
  ASSERT_EQ(run.code, 0) << run.out;
  for (const std::string& f : {svg, funnel}) {
    std::ifstream in(f);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_NE(text.find("<svg"), std::string::npos) << f;
  }
}

struct BadFile {
  std::string name;
  std::string content;
  std::string args;
  std::string message;
};

class MetaDataBadInput : public ::testing::TestWithParam<BadFile> {};

TEST_P(MetaDataBadInput, ExitsTwoNamingRowAndColumn) {
  const BadFile& b = GetParam();
  const std::string path = ::testing::TempDir() + "/" + b.name;
  std::ofstream(path) << b.content;
  const auto run = RunCommand(kKira + " meta --data " + path + " " + b.args + " 2>&1");
  EXPECT_EQ(run.code, 2) << run.out;
  EXPECT_NE(run.out.find(b.message), std::string::npos) << run.out;
}

INSTANTIATE_TEST_SUITE_P(
    Files, MetaDataBadInput,
    ::testing::Values(
        BadFile{"negvar.csv", "study,yi,vi\nA,0.1,0.04\nB,0.3,-0.02\n", "",
                "row 2 (line 3), column vi: negative sampling variance -0.02"},
        BadFile{"zerocell.csv", "study,ai,bi,ci,di\nA,1,9,3,7\nB,0,10,3,7\n", "--to none",
                "row 2 (line 3), column ai: zero cell with no continuity correction"},
        BadFile{"missing.csv", "study,ai,bi,ci\nA,1,2,3\n", "", "column di: missing"},
        BadFile{"text.csv", "study,yi,vi\nA,0.1,0.04\nB,abc,0.02\n", "", "row 2 (line 3), column yi: not a finite number"},
        BadFile{"events.csv", "ai,n1i,ci,n2i\n5,4,1,10\n2,10,3,10\n", "", "row 1 (line 2), column ai: events 5 exceed n1i 4"},
        BadFile{"bool.json", "[{\"yi\":0.1,\"vi\":0.1},{\"yi\":true,\"vi\":1}]", "", "row 2, column yi: must be a number"},
        BadFile{"fields.csv", "yi,vi\n0.1,0.2,0.3\n", "", "line 2: expected 2 fields"},
        BadFile{"quote.csv", "yi,vi\n\"0.1,0.2\n", "", "unterminated quoted field"},
        BadFile{"nomod.csv", "yi,vi\n0.1,0.2\n0.3,0.1\n0.2,0.3\n", "--mods dose", "--mods: column dose: missing"},
        BadFile{"sdneg.csv", "m1i,sd1i,n1i,m2i,sd2i,n2i\n1,-2,10,1,2,10\n", "", "row 1 (line 2), column sd1i: negative"},
        BadFile{"measure.csv", "xi,ni\n1,10\n2,10\n", "--measure OR", "--measure: proportions take PLO, PR"}),
    [](const auto& param_info) {
      std::string n = param_info.param.name;
      return n.substr(0, n.find('.'));
    });

}  // namespace
