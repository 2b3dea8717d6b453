-- kira registry schema, version 3 (SQLite): the stored clinical record.
-- Patient facts are versioned (a change is a new row, never an update);
-- each version's screening is stored per route; sessions record the facts
-- version and screening outcome they were given under; suicidality alerts
-- stay open until a clinician acknowledges them. Lists are newline-separated
-- text (ids and names contain no newline).

-- sessions is rebuilt (SQLite cannot alter a CHECK constraint) to store the
-- designed session state machine (domain/session_state.h: 'completed'
-- becomes 'discharged'), the facts version and screening outcome, and to let
-- a non-infused session (esketamine nasal) leave concentration and rate
-- NULL. Child tables keep referencing "sessions" by name; deferring the
-- foreign keys lets the rows be moved within this one transaction.
PRAGMA defer_foreign_keys = ON;
CREATE TEMP TABLE sessions_v2 AS SELECT * FROM sessions;
DROP TABLE sessions;
CREATE TABLE sessions (
  clinic_id               TEXT NOT NULL,
  id                      TEXT NOT NULL,
  patient_id              TEXT NOT NULL,
  protocol_id             TEXT NOT NULL,
  state                   TEXT NOT NULL CHECK (state IN ('planned', 'pre_checked', 'running', 'paused',
                                                          'observation', 'discharged', 'stopped')),
  dosing_weight_kg        REAL NOT NULL CHECK (dosing_weight_kg > 0),
  planned_dose_mg         REAL NOT NULL CHECK (planned_dose_mg > 0),
  given_dose_mg           REAL CHECK (given_dose_mg >= 0),
  concentration_mg_per_ml REAL CHECK (concentration_mg_per_ml > 0),
  rate_ml_per_h           REAL CHECK (rate_ml_per_h > 0),
  started_at_us           INTEGER NOT NULL,
  stopped_at_us           INTEGER,
  recorded_by             TEXT NOT NULL,
  decision_outcome        TEXT NOT NULL,
  facts_version           INTEGER NOT NULL DEFAULT 0 CHECK (facts_version >= 0),
  screening_outcome       TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (clinic_id, id),
  FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id)
) STRICT;
INSERT INTO sessions (clinic_id, id, patient_id, protocol_id, state, dosing_weight_kg, planned_dose_mg,
                      given_dose_mg, concentration_mg_per_ml, rate_ml_per_h, started_at_us, stopped_at_us,
                      recorded_by, decision_outcome)
  SELECT clinic_id, id, patient_id, protocol_id,
         CASE state WHEN 'completed' THEN 'discharged' ELSE state END,
         dosing_weight_kg, planned_dose_mg, given_dose_mg, concentration_mg_per_ml, rate_ml_per_h,
         started_at_us, stopped_at_us, recorded_by, decision_outcome
  FROM sessions_v2;
DROP TABLE sessions_v2;
CREATE INDEX sessions_by_patient ON sessions (clinic_id, patient_id, started_at_us);

CREATE TABLE patient_facts (
  clinic_id                   TEXT NOT NULL,
  patient_id                  TEXT NOT NULL,
  version                     INTEGER NOT NULL CHECK (version >= 1),
  recorded_at_us              INTEGER NOT NULL,
  recorded_by                 TEXT NOT NULL,
  reason                      TEXT NOT NULL,
  weight_kg                   REAL CHECK (weight_kg > 0),
  weight_method               TEXT NOT NULL CHECK (weight_method IN ('measured', 'stated', 'estimated')),
  weight_date                 TEXT NOT NULL,
  weight_confirmed_by         TEXT NOT NULL,
  height_cm                   REAL CHECK (height_cm > 0),
  pregnancy                   TEXT NOT NULL CHECK (pregnancy IN ('unknown', 'not_pregnant', 'pregnant')),
  pregnancy_date              TEXT NOT NULL,
  conditions                  TEXT NOT NULL,
  medications                 TEXT NOT NULL,
  failed_antidepressant_trials INTEGER CHECK (failed_antidepressant_trials >= 0),
  baseline_sbp_mmhg           REAL,
  baseline_dbp_mmhg           REAL,
  baseline_hr_bpm             REAL,
  baseline_spo2_pct           REAL,
  baseline_rr_per_min         REAL,
  PRIMARY KEY (clinic_id, patient_id, version),
  FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id)
) STRICT;

CREATE TABLE patient_screenings (
  clinic_id         TEXT NOT NULL,
  patient_id        TEXT NOT NULL,
  facts_version     INTEGER NOT NULL,
  route             TEXT NOT NULL,
  screened_at_us    INTEGER NOT NULL,
  outcome           TEXT NOT NULL,
  findings          TEXT NOT NULL,
  rescue_preferred  TEXT NOT NULL,
  rescue_avoid      TEXT NOT NULL,
  guideline_version TEXT NOT NULL,
  PRIMARY KEY (clinic_id, patient_id, facts_version, route),
  FOREIGN KEY (clinic_id, patient_id, facts_version) REFERENCES patient_facts (clinic_id, patient_id, version)
) STRICT;

CREATE TABLE alerts (
  clinic_id          TEXT NOT NULL,
  id                 TEXT NOT NULL,
  patient_id         TEXT NOT NULL,
  assessment_id      TEXT NOT NULL,
  rule_id            TEXT NOT NULL,
  message            TEXT NOT NULL,
  raised_at_us       INTEGER NOT NULL,
  raised_by          TEXT NOT NULL,
  acknowledged_at_us INTEGER,
  acknowledged_by    TEXT NOT NULL,
  ack_reason         TEXT NOT NULL,
  PRIMARY KEY (clinic_id, id),
  FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
  CHECK (acknowledged_at_us IS NULL OR (acknowledged_by <> '' AND ack_reason <> ''))
) STRICT;
CREATE INDEX alerts_by_patient ON alerts (clinic_id, patient_id, raised_at_us);
