-- kira registry schema, version 1 (SQLite).
-- Forward-only: never edit a released migration; add 002_*.sql instead.
-- Every table is keyed by clinic_id first, matching the PostgreSQL layout.
-- Units are in column names (dose_mg, rate_ml_per_h); instants are UTC
-- microseconds since the Unix epoch (*_at_us); enums are stored as names.

CREATE TABLE clinics (
  clinic_id TEXT PRIMARY KEY,
  name      TEXT NOT NULL,
  time_zone TEXT NOT NULL
) STRICT;

CREATE TABLE users (
  clinic_id    TEXT NOT NULL REFERENCES clinics (clinic_id),
  id           TEXT NOT NULL,
  display_name TEXT NOT NULL,
  role         TEXT NOT NULL CHECK (role IN ('clinician', 'nurse', 'pharmacist', 'admin', 'auditor')),
  PRIMARY KEY (clinic_id, id)
) STRICT;

CREATE TABLE patients (
  clinic_id  TEXT NOT NULL REFERENCES clinics (clinic_id),
  id         TEXT NOT NULL,
  sex        TEXT NOT NULL,
  birth_year INTEGER NOT NULL CHECK (birth_year BETWEEN 1900 AND 2200),
  indication TEXT NOT NULL,
  PRIMARY KEY (clinic_id, id)
) STRICT;

-- Direct identifiers, apart from the pseudonymous record.
CREATE TABLE patient_identities (
  clinic_id   TEXT NOT NULL,
  patient_id  TEXT NOT NULL,
  given_name  TEXT NOT NULL,
  family_name TEXT NOT NULL,
  birth_date  TEXT NOT NULL,
  mrn         TEXT NOT NULL,
  zip         TEXT NOT NULL,
  phone       TEXT NOT NULL,
  email       TEXT NOT NULL,
  PRIMARY KEY (clinic_id, patient_id),
  FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id)
) STRICT;

CREATE TABLE sessions (
  clinic_id               TEXT NOT NULL,
  id                      TEXT NOT NULL,
  patient_id              TEXT NOT NULL,
  protocol_id             TEXT NOT NULL,
  state                   TEXT NOT NULL CHECK (state IN ('planned', 'running', 'completed', 'stopped')),
  dosing_weight_kg        REAL NOT NULL CHECK (dosing_weight_kg > 0),
  planned_dose_mg         REAL NOT NULL CHECK (planned_dose_mg > 0),
  given_dose_mg           REAL CHECK (given_dose_mg >= 0),
  concentration_mg_per_ml REAL NOT NULL CHECK (concentration_mg_per_ml > 0),
  rate_ml_per_h           REAL NOT NULL CHECK (rate_ml_per_h > 0),
  started_at_us           INTEGER NOT NULL,
  stopped_at_us           INTEGER,
  recorded_by             TEXT NOT NULL,
  decision_outcome        TEXT NOT NULL,
  PRIMARY KEY (clinic_id, id),
  FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id)
) STRICT;
CREATE INDEX sessions_by_patient ON sessions (clinic_id, patient_id, started_at_us);

CREATE TABLE vitals (
  clinic_id  TEXT NOT NULL,
  id         TEXT NOT NULL,
  session_id TEXT NOT NULL,
  at_us      INTEGER NOT NULL,
  kind       TEXT NOT NULL CHECK (kind IN ('sbp', 'dbp', 'hr', 'spo2', 'rr')),
  value      REAL NOT NULL,
  PRIMARY KEY (clinic_id, id),
  FOREIGN KEY (clinic_id, session_id) REFERENCES sessions (clinic_id, id)
) STRICT;
CREATE INDEX vitals_by_session ON vitals (clinic_id, session_id, at_us);

CREATE TABLE assessments (
  clinic_id       TEXT NOT NULL,
  id              TEXT NOT NULL,
  patient_id      TEXT NOT NULL,
  session_id      TEXT,
  at_us           INTEGER NOT NULL,
  instrument      TEXT NOT NULL,
  item_scores     TEXT NOT NULL,  -- comma-separated integers, item order of the instrument
  total           INTEGER NOT NULL CHECK (total >= 0),
  scoring_version TEXT NOT NULL,
  PRIMARY KEY (clinic_id, id),
  FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
  FOREIGN KEY (clinic_id, session_id) REFERENCES sessions (clinic_id, id)
) STRICT;
CREATE INDEX assessments_by_patient ON assessments (clinic_id, patient_id, at_us);

CREATE TABLE adverse_events (
  clinic_id    TEXT NOT NULL,
  id           TEXT NOT NULL,
  session_id   TEXT NOT NULL,
  at_us        INTEGER NOT NULL,
  type         TEXT NOT NULL,
  severity     TEXT NOT NULL CHECK (severity IN ('mild', 'moderate', 'severe', 'life_threatening')),
  rescue_given TEXT NOT NULL,
  PRIMARY KEY (clinic_id, id),
  FOREIGN KEY (clinic_id, session_id) REFERENCES sessions (clinic_id, id)
) STRICT;
CREATE INDEX adverse_events_by_session ON adverse_events (clinic_id, session_id);

CREATE TABLE overrides (
  clinic_id  TEXT NOT NULL,
  id         TEXT NOT NULL,
  session_id TEXT NOT NULL,
  who        TEXT NOT NULL,
  at_us      INTEGER NOT NULL,
  rule_ids   TEXT NOT NULL,  -- newline-separated rule ids
  reason     TEXT NOT NULL CHECK (reason <> ''),
  PRIMARY KEY (clinic_id, id),
  FOREIGN KEY (clinic_id, session_id) REFERENCES sessions (clinic_id, id)
) STRICT;
CREATE INDEX overrides_by_session ON overrides (clinic_id, session_id);

CREATE TABLE ledger (
  clinic_id               TEXT NOT NULL REFERENCES clinics (clinic_id),
  id                      TEXT NOT NULL,
  lot                     TEXT NOT NULL,
  kind                    TEXT NOT NULL CHECK (kind IN ('received', 'drawn', 'administered', 'wasted', 'returned')),
  at_us                   INTEGER NOT NULL,
  amount_mg               REAL NOT NULL CHECK (amount_mg > 0),
  concentration_mg_per_ml REAL NOT NULL CHECK (concentration_mg_per_ml > 0),
  expiry                  TEXT NOT NULL,
  session_id              TEXT,
  actor                   TEXT NOT NULL,
  witness                 TEXT NOT NULL,
  PRIMARY KEY (clinic_id, id),
  FOREIGN KEY (clinic_id, session_id) REFERENCES sessions (clinic_id, id),
  CHECK (kind <> 'wasted' OR witness <> '')
) STRICT;
CREATE INDEX ledger_by_lot ON ledger (clinic_id, lot, at_us);

-- Append-only, hash-chained (registry/audit.h). The triggers stop casual
-- edits; the hash chain detects the deliberate ones (someone who drops the
-- triggers or edits the file directly).
CREATE TABLE audit_log (
  clinic_id   TEXT NOT NULL REFERENCES clinics (clinic_id),
  seq         INTEGER NOT NULL CHECK (seq >= 1),
  at_us       INTEGER NOT NULL,
  actor       TEXT NOT NULL,
  action      TEXT NOT NULL,
  entity      TEXT NOT NULL,
  entity_id   TEXT NOT NULL,
  before_text TEXT NOT NULL,
  after_text  TEXT NOT NULL,
  prev_hash   TEXT NOT NULL,
  hash        TEXT NOT NULL,
  PRIMARY KEY (clinic_id, seq)
) STRICT;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
BEGIN
  SELECT RAISE(ABORT, 'ledger is append-only');
END;
CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
BEGIN
  SELECT RAISE(ABORT, 'ledger is append-only');
END;
