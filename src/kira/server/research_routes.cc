// The research dashboard's routes (issue 14): thin handlers over the
// research use case (research/research.h) and its wire types
// (api/research_json.h). Researchers and admins only; every reply is
// de-identified: aggregates with small cells suppressed (the server's
// min_cell_count setting), figures drawn from the same suppressed numbers,
// and the Safe Harbor export. Every read is audited.
#include <set>
#include <string>

#include "kira/api/research_json.h"
#include "kira/research/research.h"
#include "kira/server/internal/routes.h"
#include "kira/server/server.h"

namespace kira::server::internal {

namespace {

void AuditResearch(Services& s, const Call& c, std::string_view id, std::string_view what) {
  s.audit->Record(AccessEvent{c.who->clinic_id, c.who->user_id, "research", std::string(id), std::string(what)});
}

StatusOr<research::ResearchReport> Build(Services& s, const Call& c, const std::set<std::string>& also) {
  KIRA_ASSIGN_OR_RETURN(research::ResearchQuery q, api::ParseResearchQuery(c.query, also));
  q.clinic_id = c.who->clinic_id;
  q.min_cell = s.options ? s.options->min_cell_count : 5;
  return research::BuildResearchReport(*s.store, registry::Libraries{s.library, s.advisor, s.instruments}, q);
}

// Letters, digits, '-' and '_' only (a download's file name).
std::string FileSafe(std::string_view text) {
  std::string out;
  for (char ch : text) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-';
    out += ok ? ch : '_';
  }
  return out.substr(0, 60);
}

StatusOr<Reply> ResearchReport(Services& s, const Call& c) {
  KIRA_ASSIGN_OR_RETURN(research::ResearchReport r, Build(s, c, {}));
  AuditResearch(s, c, r.query.all_clinics ? "all-clinics" : c.who->clinic_id, "GET /api/v1/research/report");
  Reply out;
  out.body = api::ResearchReportToJson(r);
  return out;
}

StatusOr<Reply> ResearchFigure(Services& s, const Call& c) {
  KIRA_ASSIGN_OR_RETURN(research::ResearchReport r, Build(s, c, {"group", "download"}));
  const std::string& name = c.params.at(0);
  auto it = c.query.find("group");
  const std::string group = it == c.query.end() || it->second.empty() ? "all" : it->second;
  KIRA_ASSIGN_OR_RETURN(std::string svg, research::FigureSvg(r, name, group));
  AuditResearch(s, c, name, "GET /api/v1/research/figures/{figure}");
  Reply out;
  out.body = std::move(svg);
  out.content_type = "image/svg+xml; charset=utf-8";
  const std::string file = "kira-" + FileSafe(name) + (group == "all" ? "" : "-" + FileSafe(group)) + ".svg";
  const bool download = c.query.count("download") && c.query.at("download") != "0";
  out.headers.emplace_back("Content-Disposition",
                           std::string(download ? "attachment" : "inline") + "; filename=\"" + file + "\"");
  return out;
}

StatusOr<Reply> ResearchExport(Services& s, const Call& c) {
  if (!c.query.empty()) return InvalidArgumentError(c.query.begin()->first + ": unknown parameter");
  // A fresh secret per download: subject numbers cannot be linked across downloads.
  KIRA_ASSIGN_OR_RETURN(std::string csv, research::DeidentifiedCsv(*s.store, c.who->clinic_id, RandomToken()));
  AuditResearch(s, c, c.who->clinic_id, "GET /api/v1/research/export (de-identified, Safe Harbor)");
  Reply out;
  out.body = std::move(csv);
  out.content_type = "text/csv; charset=utf-8";
  out.headers.emplace_back("Content-Disposition",
                           "attachment; filename=\"kira-deidentified-" + FileSafe(c.who->clinic_id) + ".csv\"");
  return out;
}

// clang-format off
constexpr Route kResearchRoutes[] = {
  {"GET", "/api/v1/research/report",            kResearcher | kAdmin, ResearchReport, "Research dashboard: filtered cohort report (Wilson intervals, relapse curves, trajectories, adverse events by dose) beside the pooled trials; small cells suppressed"},
  {"GET", "/api/v1/research/figures/{figure}",  kResearcher | kAdmin, ResearchFigure, "One figure of the research report as SVG (same filters; small cells suppressed)"},
  {"GET", "/api/v1/research/export",            kResearcher | kAdmin, ResearchExport, "The clinic's de-identified export (HIPAA Safe Harbor) as CSV"},
};
// clang-format on

}  // namespace

std::span<const Route> ResearchRoutes() { return kResearchRoutes; }

}  // namespace kira::server::internal
