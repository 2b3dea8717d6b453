#!/usr/bin/env python3
"""Prints the settings table of docs/advisor.md from guidelines/advisor.json."""
import json
import pathlib

root = pathlib.Path(__file__).resolve().parent.parent
d = json.loads((root / "guidelines" / "advisor.json").read_text())
rows = []


def setting(s):
    src = s["source"]
    value = "null (not configured)" if s["value"] is None else f'{s["value"]:g} {s.get("unit", "")}'
    tag = src["evidence"] + (f' grade {src["grade"]}/{src["certainty"]}' if src.get("grade") else "")
    rows.append((s["id"], value, tag, src["citation"], src.get("note", "")))


c = d["annual_cap"]
setting(c["cap"])
setting(c["window_days"])
cs = c["counting_unit_source"]
rows.append(("annual_cap.counting_unit", c["counting_unit"], cs["evidence"], cs["citation"], cs.get("note", "")))
for t in d["templates"]:
    for ph in t["induction"]:
        s = ph["source"]
        rows.append((f'{t["id"]}.{ph["name"]}', f'{ph["sessions"]} sessions, gaps {ph["gaps_days"]} days',
                     s["evidence"], s["citation"], s.get("note", "")))
    for k in ["min_interval_days", "maintenance_min_days", "maintenance_max_days", "maintenance_default_days",
              "evaluate_after_sessions"]:
        setting(t[k])
m = d["monitoring"]
for k in ["bp_check_at_min", "bp_check_window_min", "bp_interval_during_min", "min_observation_iv_min",
          "min_observation_esketamine_min"]:
    setting(m[k])
for r in m["start_rules"]:
    s = r["source"]
    rows.append((r["rule_id"], f'baseline {r["measure"]} {r["op"]} {r["value"]} -> {r["severity"]}', s["evidence"],
                 s["citation"], s.get("note", "")))
for r in m["thresholds"]:
    s = r["source"]
    v = "null (not configured)" if r["value"] is None else r["value"]
    rise = "rise in " if r.get("rise_from_baseline") else ""
    rows.append((r["rule_id"], f'{rise}{r["measure"]} {r["op"]} {v} -> {r["action"]}', s["evidence"], s["citation"],
                 s.get("note", "")))
for a in d["rescue"]["agents"]:
    setting(a["dose_mg"])
dd = d["discharge"]
for k in ["sbp_near_baseline_mmhg", "dbp_near_baseline_mmhg", "rems_form_due_days"]:
    setting(dd[k])
for a in dd["attestations"]:
    s = a["source"]
    routes = " routes " + ",".join(a["routes"]) if a.get("routes") else ""
    rows.append(("discharge." + a["id"], f'attestation ({a["severity"]} if missing){routes}', s["evidence"],
                 s["citation"], s.get("note", "")))
print("| Setting / rule id | Default | Tag | Source | Note |")
print("|---|---|---|---|---|")
for r in rows:
    print("| " + " | ".join(str(x).replace("|", "/") for x in r) + " |")
