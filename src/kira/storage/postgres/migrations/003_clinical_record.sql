-- kira registry schema, version 3 (PostgreSQL): the stored clinical record.
-- Patient facts are versioned (a change is a new row, never an update);
-- each version's screening is stored per route; sessions record the facts
-- version and screening outcome they were given under; suicidality alerts
-- stay open until a clinician acknowledges them. Lists are newline-separated
-- text (ids and names contain no newline).

-- Sessions store the designed session state machine (domain/session_state.h:
-- 'completed' becomes 'discharged'), the facts version and screening
-- outcome; a non-infused session (esketamine nasal) may leave concentration
-- and rate NULL.
ALTER TABLE sessions DROP CONSTRAINT sessions_state_check;
UPDATE sessions SET state = 'discharged' WHERE state = 'completed';
ALTER TABLE sessions ADD CONSTRAINT sessions_state_check
  CHECK (state IN ('planned', 'pre_checked', 'running', 'paused', 'observation', 'discharged', 'stopped'));
ALTER TABLE sessions ALTER COLUMN concentration_mg_per_ml DROP NOT NULL;
ALTER TABLE sessions ALTER COLUMN rate_ml_per_h DROP NOT NULL;
ALTER TABLE sessions ADD COLUMN facts_version INTEGER NOT NULL DEFAULT 0 CHECK (facts_version >= 0);
ALTER TABLE sessions ADD COLUMN screening_outcome TEXT NOT NULL DEFAULT '';

CREATE TABLE patient_facts (
  clinic_id                   TEXT COLLATE "C" NOT NULL,
  patient_id                  TEXT COLLATE "C" NOT NULL,
  version                     INTEGER NOT NULL CHECK (version >= 1),
  recorded_at_us              BIGINT NOT NULL,
  recorded_by                 TEXT NOT NULL,
  reason                      TEXT NOT NULL,
  weight_kg                   DOUBLE PRECISION CHECK (weight_kg > 0),
  weight_method               TEXT NOT NULL CHECK (weight_method IN ('measured', 'stated', 'estimated')),
  weight_date                 TEXT NOT NULL,
  weight_confirmed_by         TEXT NOT NULL,
  height_cm                   DOUBLE PRECISION CHECK (height_cm > 0),
  pregnancy                   TEXT NOT NULL CHECK (pregnancy IN ('unknown', 'not_pregnant', 'pregnant')),
  pregnancy_date              TEXT NOT NULL,
  conditions                  TEXT NOT NULL,
  medications                 TEXT NOT NULL,
  failed_antidepressant_trials INTEGER CHECK (failed_antidepressant_trials >= 0),
  baseline_sbp_mmhg           DOUBLE PRECISION,
  baseline_dbp_mmhg           DOUBLE PRECISION,
  baseline_hr_bpm             DOUBLE PRECISION,
  baseline_spo2_pct           DOUBLE PRECISION,
  baseline_rr_per_min         DOUBLE PRECISION,
  PRIMARY KEY (clinic_id, patient_id, version),
  FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id)
);

CREATE TABLE patient_screenings (
  clinic_id         TEXT COLLATE "C" NOT NULL,
  patient_id        TEXT COLLATE "C" NOT NULL,
  facts_version     INTEGER NOT NULL,
  route             TEXT NOT NULL,
  screened_at_us    BIGINT NOT NULL,
  outcome           TEXT NOT NULL,
  findings          TEXT NOT NULL,
  rescue_preferred  TEXT NOT NULL,
  rescue_avoid      TEXT NOT NULL,
  guideline_version TEXT NOT NULL,
  PRIMARY KEY (clinic_id, patient_id, facts_version, route),
  FOREIGN KEY (clinic_id, patient_id, facts_version) REFERENCES patient_facts (clinic_id, patient_id, version)
);

CREATE TABLE alerts (
  clinic_id          TEXT COLLATE "C" NOT NULL,
  id                 TEXT COLLATE "C" NOT NULL,
  patient_id         TEXT COLLATE "C" NOT NULL,
  assessment_id      TEXT NOT NULL,
  rule_id            TEXT NOT NULL,
  message            TEXT NOT NULL,
  raised_at_us       BIGINT NOT NULL,
  raised_by          TEXT NOT NULL,
  acknowledged_at_us BIGINT,
  acknowledged_by    TEXT NOT NULL,
  ack_reason         TEXT NOT NULL,
  PRIMARY KEY (clinic_id, id),
  FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
  CHECK (acknowledged_at_us IS NULL OR (acknowledged_by <> '' AND ack_reason <> ''))
);
CREATE INDEX alerts_by_patient ON alerts (clinic_id, patient_id, raised_at_us);
