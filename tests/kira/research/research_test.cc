// The research dashboard's use case and wire types on a small registry:
// filters, the small-cell rule (the same cells hidden in the JSON and the
// figures), the clinic beside the pooled trials, figures as SVG, the
// de-identified export, and query parameters refused naming the field.
#include "kira/research/research.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "kira/api/guideline_json.h"
#include "kira/api/instruments_json.h"
#include "kira/api/research_json.h"
#include "kira/data/embedded.h"
#include "kira/storage/memory/memory_store.h"
#include "testing/status_matchers.h"

namespace kira::research {
namespace {

using ::kira::testing::IsOk;
using ::kira::testing::StatusIs;
using ::testing::HasSubstr;
using Json = nlohmann::json;

domain::Instant Day(int day, int hour = 9) {
  return domain::FromUnixMicros((static_cast<std::int64_t>(day) * 24 + hour) * 3600LL * 1000000LL);
}

class ResearchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto g = api::ParseGuideline(*data::EmbeddedFile("kira.json"));
    ASSERT_THAT(g, IsOk());
    guideline_ = std::move(*g);
    auto i = api::ParseInstrumentLibrary(*data::EmbeddedFile("instruments.json"));
    ASSERT_THAT(i, IsOk());
    instruments_ = std::move(*i);
    ASSERT_NE(guideline_.FindProtocol("iv-0.5-40min"), nullptr);

    auto tx = store_.Begin();
    ASSERT_THAT(tx, IsOk());
    auto& t = **tx;
    ASSERT_THAT(t.InsertClinic({"c1", "One", "UTC"}), IsOk());
    ASSERT_THAT(t.InsertClinic({"c2", "Two", "UTC"}), IsOk());
    // c1: 8 trd patients starting on days 100..107; PHQ-9 20 the day before,
    // and at 24 h 8 (response) for the first 6, 15 for the other 2.
    // c2: 2 patients (a small clinic).
    int n = 0;
    for (const auto& [clinic, count] : {std::pair{"c1", 8}, std::pair{"c2", 2}}) {
      for (int k = 0; k < count; ++k, ++n) {
        const std::string p = "p" + std::to_string(k);
        const int day = 100 + k;
        ASSERT_THAT(t.InsertPatient({clinic, p, k % 2 ? "male" : "female", 1970 + k, "trd"}), IsOk());
        domain::SessionRecord s;
        s.clinic_id = clinic;
        s.id = "s" + std::to_string(k);
        s.patient_id = p;
        s.protocol_id = "iv-0.5-40min";
        s.state = domain::SessionState::kDischarged;
        s.dosing_weight = units::Kg(70);
        s.planned_dose = units::Mg(35);
        s.given_dose = units::Mg(35);
        s.concentration = units::MgPerMl(1);
        s.rate = units::MlPerH(52.5);
        s.started_at = Day(day);
        s.recorded_by = "u1";
        s.decision_outcome = "ok";
        ASSERT_THAT(t.InsertSession(s), IsOk());
        ASSERT_THAT(t.InsertAssessment({clinic, "a" + std::to_string(k), p, "", Day(day - 1), "phq9", {}, 20, "v"}),
                    IsOk());
        ASSERT_THAT(t.InsertAssessment({clinic, "b" + std::to_string(k), p, "", Day(day + 1), "phq9", {}, k < 6 ? 8 : 15, "v"}),
                    IsOk());
      }
    }
    ASSERT_THAT(t.Commit(), IsOk());
  }

  StatusOr<ResearchReport> Build(ResearchQuery q) {
    if (q.clinic_id.empty()) q.clinic_id = "c1";
    return BuildResearchReport(store_, registry::Libraries{&guideline_, nullptr, &instruments_}, q);
  }

  storage::MemoryStore store_;
  guideline::Library guideline_;
  instruments::InstrumentLibrary instruments_;
};

TEST_F(ResearchTest, ReportsTheClinicBesideThePooledTrials) {
  auto r = Build({});
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->report.overall.patients_started, 8);  // c1 only
  const auto& h24 = r->report.overall.outcomes[0];
  EXPECT_EQ(h24.response.numerator, 6);
  EXPECT_EQ(h24.response.denominator, 8);
  ASSERT_EQ(r->trials.size(), 2u);
  const TrialsComparison& t = r->trials[0];
  EXPECT_EQ(t.outcome_id, "response-24h");
  EXPECT_EQ(t.clinic.numerator, 6);
  EXPECT_FALSE(t.arms.empty());
  ASSERT_TRUE(t.pooled.has_value());
  EXPECT_GT(t.pooled->estimate, t.pooled->low);
  EXPECT_LT(t.pooled->estimate, t.pooled->high);
  for (const auto& a : t.arms) {
    EXPECT_GT(a.n, 0);
    EXPECT_NEAR(a.wilson.estimate, static_cast<double>(a.responders) / static_cast<double>(a.n), 1e-12);
  }
}

TEST_F(ResearchTest, FiltersAndAllClinics) {
  ResearchQuery all;
  all.all_clinics = true;
  all.dimension = "clinic";
  auto r = Build(all);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->report.overall.patients_started, 10);
  ASSERT_EQ(r->report.groups.size(), 2u);

  ResearchQuery period;
  period.from = std::chrono::sys_days{std::chrono::days{102}};
  period.to = std::chrono::sys_days{std::chrono::days{104}};  // inclusive: days 102, 103, 104
  auto p = Build(period);
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(p->report.overall.patients_started, 3);

  ResearchQuery route;
  route.route = "intranasal";
  auto none = Build(route);
  ASSERT_THAT(none, IsOk());
  EXPECT_EQ(none->report.overall.patients_started, 0);
}

TEST_F(ResearchTest, SmallCellsAreHiddenInTheJsonAndTheFigures) {
  ResearchQuery q;
  q.all_clinics = true;
  q.dimension = "clinic";
  q.min_cell = 5;
  auto r = Build(q);
  ASSERT_THAT(r, IsOk());
  const Json j = Json::parse(api::ResearchReportToJson(*r));
  EXPECT_EQ(j["suppressed_below"], 5);
  const Json& c2 = j["report"]["groups"][1];
  EXPECT_EQ(c2["group"], "c2");
  EXPECT_TRUE(c2["patients_started"].is_null());       // 2 patients
  EXPECT_TRUE(c2["series_completion"]["suppressed"]);
  EXPECT_TRUE(c2["series_completion"]["rate"].is_null());
  const Json& c1 = j["report"]["groups"][0];
  EXPECT_EQ(c1["patients_started"], 8);
  // c1 at 24 h: 6 of 8 responded, so 2 did not: a hidden complement.
  EXPECT_TRUE(c1["outcomes"][0]["response"]["suppressed"]);
  // Overall: 8 of 10 responded (2 did not): hidden; the comparison with the
  // trials shows no rate either, and its figure has no registry row.
  EXPECT_TRUE(j["report"]["overall"]["outcomes"][0]["response"]["suppressed"]);
  EXPECT_TRUE(j["trials"][0]["registry"]["suppressed"]);
  auto svg = FigureSvg(*r, "trials-response-24h");
  ASSERT_THAT(svg, IsOk());
  EXPECT_THAT(*svg, ::testing::Not(HasSubstr("This registry")));
  // The trajectories leave the small clinic out.
  auto traj = FigureSvg(*r, "trajectories");
  ASSERT_THAT(traj, IsOk());
  EXPECT_THAT(*traj, HasSubstr("c1 (n = 8)"));
  EXPECT_THAT(*traj, ::testing::Not(HasSubstr("c2 (n = ")));

  // Nothing hidden with min_cell 1: the registry row is drawn.
  q.min_cell = 1;
  auto open = Build(q);
  ASSERT_THAT(open, IsOk());
  auto svg1 = FigureSvg(*open, "trials-response-24h");
  ASSERT_THAT(svg1, IsOk());
  EXPECT_THAT(*svg1, HasSubstr("This registry"));
}

TEST_F(ResearchTest, FiguresSayWhyTheyAreMissing) {
  // The series is one session here, so the 24-h score is also the
  // after-induction one: 6 responders are followed for relapse.
  auto r = Build({});
  ASSERT_THAT(r, IsOk());
  ASSERT_EQ(r->report.overall.relapse.responders, 6);
  auto km = FigureSvg(*r, "relapse-km");
  ASSERT_THAT(km, IsOk());
  EXPECT_THAT(*km, HasSubstr("km-curve"));
  EXPECT_THAT(FigureSvg(*r, "nope"), StatusIs(StatusCode::kNotFound, HasSubstr("figure")));
  EXPECT_THAT(FigureSvg(*r, "relapse-km", "nobody"), StatusIs(StatusCode::kNotFound, HasSubstr("group")));
  // No adverse-event class recorded.
  EXPECT_THAT(FigureSvg(*r, "ae-by-dose"), StatusIs(StatusCode::kNotFound, HasSubstr("dose band")));

  ResearchQuery strict;
  strict.min_cell = 7;
  auto s7 = Build(strict);
  ASSERT_THAT(s7, IsOk());
  EXPECT_THAT(FigureSvg(*s7, "relapse-km"), StatusIs(StatusCode::kNotFound, HasSubstr("fewer than 7 responders")));
  bool listed = false;
  for (const auto& f : Figures(*s7)) {
    if (f.name != "relapse-km") continue;
    listed = true;
    EXPECT_FALSE(f.available);
    EXPECT_THAT(f.reason, HasSubstr("suppressed"));
  }
  EXPECT_TRUE(listed);

  ResearchQuery nobody;
  nobody.route = "intranasal";
  auto empty = Build(nobody);
  ASSERT_THAT(empty, IsOk());
  EXPECT_THAT(FigureSvg(*empty, "relapse-km"), StatusIs(StatusCode::kNotFound, HasSubstr("responder")));
}

TEST_F(ResearchTest, DeidentifiedExportHasNoIdentifiers) {
  auto csv = DeidentifiedCsv(store_, "c1", "0123456789abcdef0123456789abcdef");
  ASSERT_THAT(csv, IsOk());
  EXPECT_THAT(*csv, ::testing::StartsWith("subject,"));
  EXPECT_THAT(*csv, ::testing::Not(HasSubstr("p0")));  // registry ids never leave
  EXPECT_THAT(DeidentifiedCsv(store_, "c1", "short"), StatusIs(StatusCode::kInvalidArgument, HasSubstr("secret")));
}

TEST(ResearchQueryParams, RefusedNamingTheParameter) {
  using P = std::map<std::string, std::string>;
  EXPECT_THAT(api::ParseResearchQuery(P{{"colour", "x"}}), StatusIs(StatusCode::kInvalidArgument, HasSubstr("colour")));
  EXPECT_THAT(api::ParseResearchQuery(P{{"from", "2026-02-30"}}), StatusIs(StatusCode::kInvalidArgument, HasSubstr("from")));
  EXPECT_THAT(api::ParseResearchQuery(P{{"to", "yesterday"}}), StatusIs(StatusCode::kInvalidArgument, HasSubstr("to")));
  EXPECT_THAT(api::ParseResearchQuery(P{{"from", "2026-03-01"}, {"to", "2026-02-01"}}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("from")));
  EXPECT_THAT(api::ParseResearchQuery(P{{"clinics", "theirs"}}), StatusIs(StatusCode::kInvalidArgument, HasSubstr("clinics")));
  EXPECT_THAT(api::ParseResearchQuery(P{{"by", "colour"}}), StatusIs(StatusCode::kInvalidArgument, HasSubstr("by")));
  EXPECT_THAT(api::ParseResearchQuery(P{{"group", "a"}}), StatusIs(StatusCode::kInvalidArgument, HasSubstr("group")));
  EXPECT_THAT(api::ParseResearchQuery(P{{"group", "a"}}, {"group"}), IsOk());
  auto q = api::ParseResearchQuery(P{{"clinics", "all"}, {"by", "route"}, {"from", "2026-01-31"}, {"route", "iv"}});
  ASSERT_THAT(q, IsOk());
  EXPECT_TRUE(q->all_clinics);
  EXPECT_EQ(q->dimension, "route");
  EXPECT_EQ(q->route, "iv");
  ASSERT_TRUE(q->from.has_value());
  EXPECT_EQ(std::chrono::year_month_day{*q->from}, std::chrono::year_month_day{std::chrono::year{2026} / 1 / 31});
}

// Random parameter maps (known and unknown keys, dates near and far from
// valid): the parser answers a query or kInvalidArgument whose message starts
// with the offending parameter's name, never anything else.
TEST(ResearchQueryParams, RandomInputIsAnsweredOrRefusedNamingTheParameter) {
  const std::vector<std::string> keys = {"clinics", "by", "instrument", "indication", "protocol", "route",
                                         "from",    "to", "group",      "x",          ""};
  const std::vector<std::string> values = {"", "all", "mine", "clinic", "route", "2026-01-31", "2026-02-29",
                                           "2024-02-29", "0000-00-00", "2026-1-1", "9999-12-31", "1900-01-01",
                                           "2026-01-31x", std::string(201, 'a'), "\x01\xff", "iv"};
  std::uint64_t seed = 12345;
  auto next = [&] {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<std::size_t>(seed >> 33);
  };
  for (int n = 0; n < 20000; ++n) {
    std::map<std::string, std::string> params;
    const std::size_t count = next() % 4;
    for (std::size_t i = 0; i < count; ++i) params[keys[next() % keys.size()]] = values[next() % values.size()];
    auto q = api::ParseResearchQuery(params);
    if (q.ok()) {
      if (q->from && q->to) {
        EXPECT_LE(*q->from, *q->to);
      }
      continue;
    }
    ASSERT_EQ(q.status().code(), StatusCode::kInvalidArgument);
    const std::string message(q.status().message());
    bool named = false;
    for (const auto& [k, v] : params) named = named || message.rfind(k + ":", 0) == 0;
    EXPECT_TRUE(named) << message;
  }
}

}  // namespace
}  // namespace kira::research
