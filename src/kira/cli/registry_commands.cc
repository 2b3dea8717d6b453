#include "kira/cli/registry_commands.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <unistd.h>

#include <algorithm>
#include <functional>
#include <cstdlib>
#include <memory>
#include <string>

#include "kira/api/advisor_json.h"
#include "kira/api/instruments_json.h"
#include "kira/api/server_json.h"
#include "kira/cli/common.h"
#include "kira/cli/text.h"
#include "kira/interop/deidentify.h"
#include "kira/interop/fhir_export.h"
#include "kira/interop/fhir_import.h"
#include "kira/interop/redcap.h"
#include "kira/interop/session_import.h"
#include "kira/registry/advisor.h"
#include "kira/registry/audit.h"
#include "kira/registry/clinical_record.h"
#include "kira/registry/clock.h"
#include "kira/registry/demo.h"
#include "kira/registry/ledger.h"
#include "kira/registry/unit_of_work.h"
#include "kira/storage/open_store.h"

namespace kira::cli {

namespace {

CLI::Option* AddDbOption(CLI::App* cmd, std::string& db) {
  return cmd->add_option("--db", db, "Registry database: a SQLite file path, or postgres://... for PostgreSQL")
      ->capture_default_str();
}

// Opens the registry or reports why not (exit 2; the message names --db).
std::unique_ptr<storage::Store> Open(Context& ctx, const std::string& db, const storage::OpenOptions& options = {}) {
  auto store = storage::OpenStore(db, options);
  if (!store.ok()) {
    ctx.BadInput(store.status().WithContext("--db " + db));
    return nullptr;
  }
  // The keyed audit chain needs the registry's audit key (registry/audit.h).
  if (Status k = registry::UseAuditKeyFor(db); !k.ok()) {
    ctx.BadInput(k);
    return nullptr;
  }
  return std::move(store).value();
}

// The libraries every registry decision reads (the guideline library as
// built in, or --guideline/--overlay; the advisor and instrument libraries
// as built in), loaded once per process.
StatusOr<registry::Libraries> RegistryLibraries(Context& ctx) {
  KIRA_ASSIGN_OR_RETURN(const guideline::Library* lib, ctx.Library());
  static std::unique_ptr<advisor::AdvisorLibrary> advisor_lib;
  static std::unique_ptr<instruments::InstrumentLibrary> instruments_lib;
  if (!advisor_lib) {
    KIRA_ASSIGN_OR_RETURN(std::string text, ReadDataFile("", "advisor.json"));
    auto parsed = api::ParseAdvisorLibrary(text);
    if (!parsed.ok()) return parsed.status().WithContext("advisor library (embedded advisor.json)");
    advisor_lib = std::make_unique<advisor::AdvisorLibrary>(std::move(parsed).value());
  }
  if (!instruments_lib) {
    KIRA_ASSIGN_OR_RETURN(std::string text, ReadDataFile("", "instruments.json"));
    auto parsed = api::ParseInstrumentLibrary(text);
    if (!parsed.ok()) return parsed.status().WithContext("instrument library (embedded instruments.json)");
    instruments_lib = std::make_unique<instruments::InstrumentLibrary>(std::move(parsed).value());
  }
  return registry::Libraries{lib, advisor_lib.get(), instruments_lib.get()};
}

// The dose check used by every registry write: the guideline library's dose
// limits plus the advisor library's rolling annual cap.
registry::DoseCheck RegistryDoseCheck(const registry::Libraries& libs) {
  return registry::AdvisorDoseCheck(*libs.guideline, &libs.advisor->annual_cap);
}

std::string Pct(int num, int den) { return den ? fmt::format("{:.1f} %", 100.0 * num / den) : "n/a"; }

}  // namespace

void AddDemoCommand(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("demo", "Create a synthetic demo registry (invented patients, realistic numbers)");
  struct Args {
    int patients = 50;
    std::uint32_t seed = 20260301;
    std::string db = storage::kDefaultDatabase;
    std::string clinic = "demo-clinic";
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--patients", a->patients, "Number of patients to create")->capture_default_str();
  cmd->add_option("--seed", a->seed, "Random seed (same seed, same registry)")->capture_default_str();
  cmd->add_option("--clinic", a->clinic, "Clinic id to create")->capture_default_str();
  AddDbOption(cmd, a->db);
  cmd->callback([&ctx, a] {
    if (a->patients < 1) return ctx.BadInput(InvalidArgumentError("--patients: must be >= 1"));
    auto libs = RegistryLibraries(ctx);
    if (!libs.ok()) return ctx.BadInput(libs.status());
    auto store = Open(ctx, a->db);
    if (!store) return;
    registry::SystemClock clock;
    registry::DemoOptions o;
    o.patients = a->patients;
    o.seed = a->seed;
    o.clinic_id = a->clinic;
    auto sum = registry::GenerateDemo(*store, clock, RegistryDoseCheck(*libs), *libs, o);
    if (!sum.ok()) {
      if (sum.status().code() == StatusCode::kAlreadyExists) {
        return ctx.BadInput(FailedPreconditionError("--clinic: clinic '" + a->clinic + "' already exists in " +
                                                    a->db + "; choose another --clinic or --db"));
      }
      return ctx.BadInput(sum.status());
    }
    *ctx.out << fmt::format(
        "Demo registry '{}' in {}:\n"
        "  patients        {}\n  sessions        {} ({} with a soft-limit override, {} refused)\n"
        "  vitals          {}\n  assessments     {} (PHQ-9)\n  adverse events  {}\n  ledger entries  {}\n"
        "  depression: response {} and remission {} of {} patients (target 53.6 % / 28.9 %, McInnes 2022)\n",
        a->clinic, a->db, sum->patients, sum->sessions, sum->overrides, sum->refused, sum->vitals, sum->assessments,
        sum->adverse_events, sum->ledger_entries, Pct(sum->responders, sum->depression_patients),
        Pct(sum->remitters, sum->depression_patients), sum->depression_patients);
  });
}

void AddImportCommand(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand(
      "import",
      "Import kira session CSV, a REDCap records export or a FHIR R4 Bulk export (--fhir DIR): strict, all or "
      "nothing unless --partial");
  struct Args {
    std::string file, fhir;
    std::string db = storage::kDefaultDatabase;
    std::string clinic = "demo-clinic";
    bool dry_run = false, partial = false, update = false;
    std::string reason;
  };
  auto a = std::make_shared<Args>();
  auto* file = cmd->add_option("file", a->file, "CSV file, or - for standard input");
  auto* fhir = cmd->add_option("--fhir", a->fhir, "Directory of a FHIR R4 Bulk NDJSON export (as kira export --fhir writes)");
  file->excludes(fhir);
  AddDbOption(cmd, a->db);
  cmd->add_option("--clinic", a->clinic, "Clinic of the records (REDCap files carry none)")->capture_default_str();
  auto* dry = cmd->add_flag("--dry-run", a->dry_run, "Check every row and list every problem; write nothing");
  auto* partial = cmd->add_flag("--partial", a->partial, "Commit the rows that passed even if others did not");
  dry->excludes(partial);
  cmd->add_flag("--update", a->update,
                "Apply corrections to stored sessions as audited amendments (needs --reason)");
  cmd->add_option("--reason", a->reason, "Why the stored sessions are corrected (recorded with each amendment)");
  cmd->callback([&ctx, a] {
    if (a->update && a->reason.empty()) {
      return ctx.BadInput(InvalidArgumentError("--reason: --update needs a reason for the amendments"));
    }
    if (a->file.empty() && a->fhir.empty()) {
      return ctx.BadInput(InvalidArgumentError("import: give a CSV file, or --fhir DIR"));
    }
    auto libs = RegistryLibraries(ctx);
    if (!libs.ok()) return ctx.BadInput(libs.status());
    const registry::DoseCheck check = RegistryDoseCheck(*libs);
    interop::ParseOptions po;
    for (const auto& p : libs->guideline->protocols) {
      po.protocols.insert(p.id);
      po.protocol_routes[p.id] = p.route;
    }
    interop::ParsedFile parsed;
    if (!a->fhir.empty()) {
      auto bulk = interop::ReadFhirBulk(a->fhir, a->clinic, po);
      if (!bulk.ok()) return ctx.BadInput(bulk.status());
      parsed = *std::move(bulk);
      a->file = a->fhir;
    } else {
      auto text = ReadInput(a->file);
      if (!text.ok()) return ctx.BadInput(text.status());
      parsed = interop::LooksLikeRedcapRecords(*text) ? interop::ParseRedcapRecords(*text, a->clinic, po)
                                                      : interop::ParseSessionCsv(*text, po);
    }
    auto store = Open(ctx, a->db, storage::OpenOptions{.bulk_load = true});
    if (!store) return;
    registry::SystemClock clock;
    interop::ImportOptions o;
    o.mode = a->dry_run   ? interop::ImportMode::kDryRun
             : a->partial ? interop::ImportMode::kPartial
                          : interop::ImportMode::kAllOrNothing;
    o.update = a->update;
    o.reason = a->reason;
    o.libraries = *libs;
    const bool tty = isatty(STDERR_FILENO) == 1;
    if (tty) {
      o.progress = [&ctx](int done, int total) {
        constexpr int kWidth = 30;
        const int filled = total ? done * kWidth / total : kWidth;
        *ctx.err << "\rimport [" << std::string(static_cast<std::size_t>(filled), '#')
                 << std::string(static_cast<std::size_t>(kWidth - filled), ' ') << "] " << done << "/" << total
                 << " rows" << std::flush;
      };
    }
    auto report = interop::ImportRows(*store, clock, check, parsed, o);
    if (tty) *ctx.err << "\r" << std::string(60, ' ') << "\r";
    if (!report.ok()) return ctx.BadInput(report.status().WithContext(a->file));
    const auto& r = *report;
    for (const auto& e : r.problems) *ctx.err << a->file << ": " << interop::FormatRowError(e) << "\n";
    if (parsed.fatal) {
      *ctx.out << fmt::format("{} ({}): the file cannot be read as a whole; nothing was written\n", a->file,
                              parsed.format);
      ctx.exit_code = kExitBadInput;
      return;
    }
    std::string outcome;
    if (o.mode == interop::ImportMode::kDryRun) {
      outcome = "dry run; nothing was written";
    } else if (r.committed && (r.refused || r.invalid)) {
      outcome = fmt::format("PARTIAL import: {} rows written, {} rows with problems were left out", r.written,
                            r.refused + r.invalid);
    } else if (r.committed) {
      outcome = fmt::format("{} rows written", r.written);
    } else if (r.refused || r.invalid) {
      outcome = "nothing was written (the file is imported all or nothing; fix the rows above, or use --partial)";
    } else {
      outcome = "nothing to write";
    }
    *ctx.out << fmt::format(
        "{} ({}): {} rows read = {} accepted + {} amended + {} refused by the Advisor + {} invalid + {} unchanged; "
        "{}\n",
        a->file, parsed.format, r.rows_read, r.accepted, r.amended, r.refused, r.invalid, r.unchanged, outcome);
    ctx.exit_code = r.invalid ? kExitBadInput : r.refused ? kExitDecision : kExitOk;
  });
}

void AddExportCommand(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("export", "Export the registry: FHIR R4 Bulk NDJSON, REDCap, or de-identified CSV");
  struct Args {
    std::string fhir, redcap, deidentified, secret_file, aggregate, ae_terms;
    bool limited_data_set = false;
    int min_cell = 11;
    std::string db = storage::kDefaultDatabase;
    std::string clinic = "demo-clinic";
  };
  auto a = std::make_shared<Args>();
  auto* fhir = cmd->add_option("--fhir", a->fhir, "Directory for Patient/Encounter/MedicationAdministration/Observation/AdverseEvent .ndjson");
  auto* redcap = cmd->add_option("--redcap", a->redcap, "Directory for the REDCap data dictionary and records CSV");
  auto* deid = cmd->add_option("--deidentified", a->deidentified,
                               "CSV file, de-identified by the HIPAA Safe Harbor method (years only, 90+, ZIP3, "
                               "coded adverse events, no free text)");
  cmd->add_flag("--limited-data-set", a->limited_data_set,
                "With --deidentified: shift dates per patient instead of keeping years only. The result is a HIPAA "
                "limited data set, NOT de-identified: share it only under a data use agreement");
  cmd->add_option("--aggregate", a->aggregate,
                  "With --deidentified: also write counts by indication, sex and age band, small counts suppressed");
  cmd->add_option("--min-cell", a->min_cell, "Smallest count shown in --aggregate (smaller ones are suppressed)")
      ->capture_default_str();
  cmd->add_option("--ae-terms", a->ae_terms,
                  "CSV (type,term): the clinic's coded adverse-event vocabulary (default: the built-in list)");
  fhir->excludes(redcap)->excludes(deid);
  redcap->excludes(deid);
  cmd->add_option("--secret-file", a->secret_file,
                  "File holding the clinic's de-identification secret (default: $KIRA_DEID_SECRET)");
  AddDbOption(cmd, a->db);
  cmd->add_option("--clinic", a->clinic, "Clinic to export")->capture_default_str();
  cmd->callback([&ctx, a] {
    if (a->fhir.empty() && a->redcap.empty() && a->deidentified.empty()) {
      return ctx.BadInput(InvalidArgumentError("export: give one of --fhir DIR, --redcap DIR, --deidentified FILE"));
    }
    std::string secret;
    if (!a->deidentified.empty()) {
      if (!a->secret_file.empty()) {
        auto s = ReadInput(a->secret_file);
        if (!s.ok()) return ctx.BadInput(s.status().WithContext("--secret-file"));
        secret = *s;
        while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
      } else if (const char* env = std::getenv("KIRA_DEID_SECRET")) {
        secret = env;
      }
      if (secret.empty()) {
        return ctx.BadInput(InvalidArgumentError(
            "--secret-file: a de-identification secret is required (or set KIRA_DEID_SECRET); keep it out of the export"));
      }
    }
    auto store = Open(ctx, a->db);
    if (!store) return;
    {
      auto tx = store->Begin();
      if (!tx.ok()) return ctx.BadInput(tx.status());
      if (auto c = (*tx)->GetClinic(a->clinic); !c.ok()) {
        return ctx.BadInput(InvalidArgumentError("--clinic: no clinic '" + a->clinic + "' in " + a->db));
      }
    }
    if (!a->fhir.empty()) {
      auto libs = RegistryLibraries(ctx);
      if (!libs.ok()) return ctx.BadInput(libs.status());
      interop::FhirExportOptions fo;
      for (const auto& p : libs->guideline->protocols) fo.protocol_routes[p.id] = p.route;
      fo.instruments = libs->instruments;
      auto n = interop::ExportFhir(*store, a->clinic, a->fhir, fo);
      if (!n.ok()) return ctx.BadInput(n.status());
      *ctx.out << fmt::format("FHIR R4 NDJSON in {}: {} Patient, {} Encounter, {} MedicationRequest, "
                              "{} MedicationAdministration, {} Observation, {} AdverseEvent, "
                              "{} Basic (clinical-facts versions)\n",
                              a->fhir, n->patients, n->encounters, n->medication_requests,
                              n->medication_administrations, n->observations, n->adverse_events,
                              n->facts_versions);
    } else if (!a->redcap.empty()) {
      auto n = interop::ExportRedcap(*store, a->clinic, a->redcap);
      if (!n.ok()) return ctx.BadInput(n.status());
      *ctx.out << fmt::format("REDCap files in {}: kira_data_dictionary.csv, kira_records.csv ({} records; {} facts, "
                              "{} session, {} override, {} vital, {} assessment, {} adverse_event and {} ledger "
                              "instances; enable repeating instruments for all but patient)\n",
                              a->redcap, n->records, n->facts, n->sessions, n->overrides, n->vitals, n->assessments,
                              n->adverse_events, n->ledger);
    } else {
      interop::DeidentifyOptions dopt;
      dopt.limited_data_set = a->limited_data_set;
      dopt.aggregate_path = a->aggregate;
      dopt.min_cell = a->min_cell;
      if (!a->ae_terms.empty()) {
        auto text = ReadInput(a->ae_terms);
        if (!text.ok()) return ctx.BadInput(text.status().WithContext("--ae-terms"));
        auto terms = interop::ParseAeVocabulary(*text);
        if (!terms.ok()) return ctx.BadInput(terms.status().WithContext("--ae-terms " + a->ae_terms));
        dopt.ae_terms = *std::move(terms);
      }
      auto n = interop::ExportDeidentified(*store, a->clinic, secret, a->deidentified, dopt);
      if (!n.ok()) return ctx.BadInput(n.status());
      *ctx.out << fmt::format("{} {}: {} patients, {} sessions{}\n",
                              a->limited_data_set ? "LIMITED DATA SET (dates shifted; not de-identified; share only "
                                                    "under a data use agreement)"
                                                  : "De-identified CSV (HIPAA Safe Harbor)",
                              a->deidentified, n->patients, n->sessions,
                              a->aggregate.empty() ? ""
                                                   : fmt::format("; aggregate {} ({} small counts suppressed)",
                                                                 a->aggregate, n->suppressed_cells));
    }
  });
}

void AddLedgerCommand(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("ledger", "Controlled-substance ledger: balance per lot and discrepancies");
  auto db = std::make_shared<std::string>(storage::kDefaultDatabase);
  auto clinic = std::make_shared<std::string>("demo-clinic");
  AddDbOption(cmd, *db);
  cmd->add_option("--clinic", *clinic, "Clinic id")->capture_default_str();
  cmd->callback([&ctx, db, clinic] {
    auto store = Open(ctx, *db);
    if (!store) return;
    auto r = registry::ReconcileLedger(*store, *clinic);
    if (!r.ok()) return ctx.BadInput(r.status());
    *ctx.out << fmt::format("{:<12} {:>10} {:>12} {:>10} {:>10} {:>10}\n", "lot", "received", "administered",
                            "wasted", "returned", "balance");
    for (const auto& l : r->lots) {
      *ctx.out << fmt::format("{:<12} {:>10.1f} {:>12.1f} {:>10.1f} {:>10.1f} {:>10.1f}\n", l.lot,
                              units::ToMg(l.received), units::ToMg(l.administered), units::ToMg(l.wasted),
                              units::ToMg(l.returned), units::ToMg(l.balance));
    }
    *ctx.out << fmt::format("{} discrepancies\n", r->discrepancies.size());
    for (const auto& d : r->discrepancies) {
      *ctx.out << fmt::format("  {}: {}\n", registry::DiscrepancyKindName(d.kind), d.message);
    }
    ctx.exit_code = r->discrepancies.empty() ? kExitOk : kExitDecision;
  });
}

namespace {

// --db, --clinic and --by shared by the clinical-record commands.
struct RecordArgs {
  std::string db = storage::kDefaultDatabase;
  std::string clinic = "demo-clinic";
  std::string by;  // user id recorded on the audit rows
};

void AddRecordOptions(CLI::App* cmd, RecordArgs& a, bool needs_by) {
  AddDbOption(cmd, a.db);
  cmd->add_option("--clinic", a.clinic, "Clinic id")->capture_default_str();
  if (needs_by) {
    const char* user = std::getenv("USER");
    a.by = user ? user : "";
    cmd->add_option("--by", a.by, "User id recorded on the audit rows (default: $USER)");
  }
}

// Runs `body` in one audited unit of work; false (after reporting) on error.
bool Write(Context& ctx, storage::Store& store, const std::string& actor,
           const std::function<Status(registry::UnitOfWork&)>& body) {
  registry::SystemClock clock;
  Status s = registry::RunInUnitOfWork(store, clock, actor, body);
  if (s.ok()) return true;
  ctx.BadInput(s);
  return false;
}

void PrintFacts(std::ostream& os, const domain::PatientFacts& f) {
  auto opt = [](const std::optional<double>& v, const char* unit) {
    return v ? fmt::format("{:g} {}", *v, unit) : std::string("not recorded");
  };
  os << fmt::format("facts version {} (recorded {} by {}{})\n", f.version, domain::FormatInstant(f.recorded_at),
                    f.recorded_by, f.reason.empty() ? "" : "; reason: " + f.reason);
  os << fmt::format("  weight      {}{}\n", opt(f.weight_kg, "kg"),
                    f.weight_kg ? fmt::format(" ({}{})", f.weight_method,
                                              f.weight_date.empty() ? "" : ", " + f.weight_date)
                                : "");
  os << fmt::format("  height      {}\n", opt(f.height_cm, "cm"));
  os << fmt::format("  pregnancy   {}{}\n", domain::PregnancyStatusName(f.pregnancy),
                    f.pregnancy_date.empty() ? "" : " (" + f.pregnancy_date + ")");
  os << fmt::format("  history     {}\n", f.conditions.empty() ? "none recorded" : fmt::format("{}", fmt::join(f.conditions, ", ")));
  os << fmt::format("  medications {}\n", f.medications.empty() ? "none recorded" : fmt::format("{}", fmt::join(f.medications, ", ")));
  os << fmt::format("  failed adequate antidepressant trials {}\n",
                    f.failed_antidepressant_trials ? std::to_string(*f.failed_antidepressant_trials) : "not recorded");
  os << fmt::format("  baseline    SBP {}, DBP {}, HR {}, SpO2 {}, RR {}\n", opt(f.baseline_sbp_mmhg, "mmHg"),
                    opt(f.baseline_dbp_mmhg, "mmHg"), opt(f.baseline_hr_bpm, "/min"), opt(f.baseline_spo2_pct, "%"),
                    opt(f.baseline_rr_per_min, "/min"));
}

}  // namespace

void AddFactsCommand(CLI::App& app, Context& ctx) {
  auto* facts = app.add_subcommand("facts", "A patient's stored clinical record: versioned, audited facts");
  facts->require_subcommand(1);

  auto* set = facts->add_subcommand(
      "set", "Record the patient's facts from a JSON file (a new version when anything changed; re-screens)");
  auto sa = std::make_shared<RecordArgs>();
  auto spatient = std::make_shared<std::string>();
  auto sfile = std::make_shared<std::string>();
  set->add_option("--patient", *spatient, "Patient id")->required();
  set->add_option("file", *sfile, "Facts JSON (as POST /api/v1/patients/{id}/facts), or - for standard input")
      ->required();
  AddRecordOptions(set, *sa, true);
  set->callback([&ctx, sa, spatient, sfile] {
    if (sa->by.empty()) return ctx.BadInput(InvalidArgumentError("--by: who records the facts is required"));
    auto libs = RegistryLibraries(ctx);
    if (!libs.ok()) return ctx.BadInput(libs.status());
    auto text = ReadInput(*sfile);
    if (!text.ok()) return ctx.BadInput(text.status());
    auto parsed = api::ParseFactsRequest(*text, *libs->guideline);
    if (!parsed.ok()) return ctx.BadInput(parsed.status().WithContext(*sfile));
    auto store = Open(ctx, sa->db);
    if (!store) return;
    domain::PatientFacts f = std::move(parsed).value();
    f.clinic_id = sa->clinic;
    f.patient_id = *spatient;
    registry::RecordFactsResult r;
    if (!Write(ctx, *store, sa->by, [&](registry::UnitOfWork& uow) -> Status {
          KIRA_ASSIGN_OR_RETURN(r, registry::RecordFacts(uow, *libs, f));
          return Status::Ok();
        })) {
      return;
    }
    *ctx.out << (r.new_version ? "recorded " : "unchanged: ");
    PrintFacts(*ctx.out, r.facts);
    for (const auto& sc : r.screenings) {
      *ctx.out << fmt::format("  screening ({}): {}; rescue: {}{}\n", sc.route, sc.outcome, sc.rescue_preferred,
                              sc.rescue_avoid.empty() ? "" : fmt::format("; avoid {}", fmt::join(sc.rescue_avoid, ", ")));
    }
  });

  auto* show = facts->add_subcommand("show", "Show the patient's current facts and the screening stored for them");
  auto wa = std::make_shared<RecordArgs>();
  auto wpatient = std::make_shared<std::string>();
  auto wroute = std::make_shared<std::string>("iv");
  auto wjson = std::make_shared<bool>(false);
  show->add_option("--patient", *wpatient, "Patient id")->required();
  show->add_option("--route", *wroute, "Route of the screening to show")->capture_default_str();
  show->add_flag("--json", *wjson, "Machine-readable output");
  AddRecordOptions(show, *wa, false);
  show->callback([&ctx, wa, wpatient, wroute, wjson] {
    auto libs = RegistryLibraries(ctx);
    if (!libs.ok()) return ctx.BadInput(libs.status());
    auto store = Open(ctx, wa->db);
    if (!store) return;
    auto tx = store->Begin();
    if (!tx.ok()) return ctx.BadInput(tx.status());
    auto versions = (*tx)->ListPatientFacts(wa->clinic, *wpatient);
    if (!versions.ok()) return ctx.BadInput(versions.status());
    if (versions->empty()) {
      return ctx.BadInput(FailedPreconditionError("--patient: '" + *wpatient + "' has no recorded clinical facts in clinic '" +
                                                  wa->clinic + "'"));
    }
    auto screening = registry::CurrentScreening(**tx, *libs, wa->clinic, *wpatient, *wroute);
    if (!screening.ok()) return ctx.BadInput(screening.status());
    if (*wjson) {
      *ctx.out << api::FactsRecordJson(versions->back(), static_cast<int>(versions->size()), *screening) << "\n";
      return;
    }
    PrintFacts(*ctx.out, versions->back());
    if (*screening) {
      const auto& sc = **screening;
      *ctx.out << fmt::format("screening ({}), facts version {}: {}\n  rescue plan: {}{}\n", sc.route,
                              sc.facts_version, sc.outcome, sc.rescue_preferred,
                              sc.rescue_avoid.empty() ? "" : fmt::format("; avoid {}", fmt::join(sc.rescue_avoid, ", ")));
      for (const auto& f : sc.findings) *ctx.out << fmt::format("    {:<10} {}\n", f.severity, f.rule_id);
    }
  });
}

void AddAssessmentCommand(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand(
      "assessment", "Store an outcome score for a patient (a positive suicidality item raises an alert)");
  cmd->require_subcommand(1);
  auto* add = cmd->add_subcommand("add", "Score and store an assessment");
  struct Args {
    RecordArgs rec;
    std::string patient, instrument, items, at, session;
  };
  auto a = std::make_shared<Args>();
  add->add_option("--patient", a->patient, "Patient id")->required();
  add->add_option("--instrument", a->instrument, "Instrument id (phq9, madrs, cssrs_screen, ...)")->required();
  add->add_option("--items", a->items, "Item scores in order, comma-separated")->required();
  add->add_option("--at", a->at, "When (ISO 8601 UTC; default now)");
  add->add_option("--session", a->session, "Session the score belongs to");
  AddRecordOptions(add, a->rec, true);
  add->callback([&ctx, a] {
    if (a->rec.by.empty()) return ctx.BadInput(InvalidArgumentError("--by: who records the score is required"));
    auto libs = RegistryLibraries(ctx);
    if (!libs.ok()) return ctx.BadInput(libs.status());
    domain::Assessment as;
    as.clinic_id = a->rec.clinic;
    as.patient_id = a->patient;
    as.session_id = a->session;
    as.instrument = a->instrument;
    std::size_t pos = 0;
    for (int i = 0; pos <= a->items.size(); ++i) {
      const std::size_t comma = std::min(a->items.find(',', pos), a->items.size());
      const std::string tok = a->items.substr(pos, comma - pos);
      int v = 0;
      if (!interop::internal::ParseInt(tok, &v)) {
        return ctx.BadInput(InvalidArgumentError("--items[" + std::to_string(i) + "]: '" + tok + "' is not a whole number"));
      }
      as.item_scores.push_back(v);
      pos = comma + 1;
    }
    registry::SystemClock clock;
    as.at = clock.Now();
    if (!a->at.empty() && !domain::ParseInstant(a->at, &as.at)) {
      return ctx.BadInput(InvalidArgumentError("--at: not an ISO 8601 UTC instant: '" + a->at + "'"));
    }
    as.id = "as-" + a->patient + "-" + domain::FormatInstant(as.at);
    auto store = Open(ctx, a->rec.db);
    if (!store) return;
    registry::RecordAssessmentResult r;
    if (!Write(ctx, *store, a->rec.by, [&](registry::UnitOfWork& uow) -> Status {
          KIRA_ASSIGN_OR_RETURN(r, registry::RecordAssessment(uow, *libs, as));
          return Status::Ok();
        })) {
      return;
    }
    *ctx.out << fmt::format("stored {} total {} for patient {}\n", r.assessment.instrument, r.assessment.total,
                            r.assessment.patient_id);
    PrintDecision(*ctx.out, r.score);
    for (const auto& al : r.alerts) {
      *ctx.out << fmt::format("ALERT {}: {} -- a clinician must acknowledge it: kira alert ack {} --by NAME --reason TEXT\n",
                              al.id, al.message, al.id);
    }
    ctx.exit_code = r.alerts.empty() ? kExitOk : kExitDecision;
  });
}

void AddAlertCommand(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("alert", "Suicidality alerts: list the open ones, acknowledge one (audited)");
  cmd->require_subcommand(1);
  auto* list = cmd->add_subcommand("list", "List alerts (open ones unless --all)");
  auto la = std::make_shared<RecordArgs>();
  auto lpatient = std::make_shared<std::string>();
  auto lall = std::make_shared<bool>(false);
  list->add_option("--patient", *lpatient, "Only this patient");
  list->add_flag("--all", *lall, "Include acknowledged alerts");
  AddRecordOptions(list, *la, false);
  list->callback([&ctx, la, lpatient, lall] {
    auto store = Open(ctx, la->db);
    if (!store) return;
    auto tx = store->Begin();
    if (!tx.ok()) return ctx.BadInput(tx.status());
    auto alerts = (*tx)->ListAlerts(la->clinic, *lpatient, !*lall);
    if (!alerts.ok()) return ctx.BadInput(alerts.status());
    int open = 0;
    for (const auto& al : *alerts) {
      open += al.open() ? 1 : 0;
      *ctx.out << fmt::format("{}  patient {}  raised {}  {}\n    {}\n", al.id, al.patient_id,
                              domain::FormatInstant(al.raised_at),
                              al.open() ? "OPEN" : "acknowledged by " + al.acknowledged_by + " at " +
                                                       domain::FormatInstant(*al.acknowledged_at) + ": " + al.ack_reason,
                              al.message);
    }
    *ctx.out << fmt::format("{} open alert(s)\n", open);
    ctx.exit_code = open ? kExitDecision : kExitOk;
  });
  auto* ack = cmd->add_subcommand("ack", "Acknowledge an alert: who and why are stored and audited");
  auto aa = std::make_shared<RecordArgs>();
  auto aid = std::make_shared<std::string>();
  auto reason = std::make_shared<std::string>();
  ack->add_option("alert", *aid, "Alert id (from kira alert list)")->required();
  ack->add_option("--reason", *reason, "Why it is acknowledged, e.g. the safety assessment made")->required();
  AddRecordOptions(ack, *aa, true);
  ack->callback([&ctx, aa, aid, reason] {
    if (aa->by.empty()) return ctx.BadInput(InvalidArgumentError("--by: who acknowledges the alert is required"));
    auto store = Open(ctx, aa->db);
    if (!store) return;
    domain::AlertRecord al;
    if (!Write(ctx, *store, aa->by, [&](registry::UnitOfWork& uow) -> Status {
          KIRA_ASSIGN_OR_RETURN(al, registry::AcknowledgeAlert(uow, aa->clinic, *aid, aa->by, *reason));
          return Status::Ok();
        })) {
      return;
    }
    *ctx.out << fmt::format("acknowledged {} (patient {}) by {} at {}\n", al.id, al.patient_id, al.acknowledged_by,
                            domain::FormatInstant(*al.acknowledged_at));
  });
}

}  // namespace kira::cli
