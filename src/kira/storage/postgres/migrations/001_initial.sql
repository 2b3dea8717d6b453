-- kira registry schema, version 1 (PostgreSQL).
-- Forward-only: never edit a released migration; add 002_*.sql instead.
--
-- Every table's primary key starts with clinic_id and every foreign key
-- includes it, so each table can be distributed (Citus) or hash-partitioned
-- by clinic_id with all of one clinic's rows colocated; see
-- docs/postgres-layout.md. Key columns use the "C" collation so that
-- ORDER BY id pages in byte order, the same on every backend.
-- Units are in column names; instants are UTC microseconds since the Unix
-- epoch (*_at_us); enums are stored as names.

CREATE TABLE clinics (
  clinic_id TEXT COLLATE "C" PRIMARY KEY,
  name      TEXT NOT NULL,
  time_zone TEXT NOT NULL
);

CREATE TABLE users (
  clinic_id    TEXT COLLATE "C" NOT NULL REFERENCES clinics (clinic_id),
  id           TEXT COLLATE "C" NOT NULL,
  display_name TEXT NOT NULL,
  role         TEXT NOT NULL CHECK (role IN ('clinician', 'nurse', 'pharmacist', 'admin', 'auditor')),
  PRIMARY KEY (clinic_id, id)
);

CREATE TABLE patients (
  clinic_id  TEXT COLLATE "C" NOT NULL REFERENCES clinics (clinic_id),
  id         TEXT COLLATE "C" NOT NULL,
  sex        TEXT NOT NULL,
  birth_year INTEGER NOT NULL CHECK (birth_year BETWEEN 1900 AND 2200),
  indication TEXT NOT NULL,
  PRIMARY KEY (clinic_id, id)
);

CREATE TABLE patient_identities (
  clinic_id   TEXT COLLATE "C" NOT NULL,
  patient_id  TEXT COLLATE "C" NOT NULL,
  given_name  TEXT NOT NULL,
  family_name TEXT NOT NULL,
  birth_date  TEXT NOT NULL,
  mrn         TEXT NOT NULL,
  zip         TEXT NOT NULL,
  phone       TEXT NOT NULL,
  email       TEXT NOT NULL,
  PRIMARY KEY (clinic_id, patient_id),
  FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id)
);

CREATE TABLE sessions (
  clinic_id               TEXT COLLATE "C" NOT NULL,
  id                      TEXT COLLATE "C" NOT NULL,
  patient_id              TEXT COLLATE "C" NOT NULL,
  protocol_id             TEXT NOT NULL,
  state                   TEXT NOT NULL CHECK (state IN ('planned', 'running', 'completed', 'stopped')),
  dosing_weight_kg        DOUBLE PRECISION NOT NULL CHECK (dosing_weight_kg > 0),
  planned_dose_mg         DOUBLE PRECISION NOT NULL CHECK (planned_dose_mg > 0),
  given_dose_mg           DOUBLE PRECISION CHECK (given_dose_mg >= 0),
  concentration_mg_per_ml DOUBLE PRECISION NOT NULL CHECK (concentration_mg_per_ml > 0),
  rate_ml_per_h           DOUBLE PRECISION NOT NULL CHECK (rate_ml_per_h > 0),
  started_at_us           BIGINT NOT NULL,
  stopped_at_us           BIGINT,
  recorded_by             TEXT NOT NULL,
  decision_outcome        TEXT NOT NULL,
  PRIMARY KEY (clinic_id, id),
  FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id)
);
CREATE INDEX sessions_by_patient ON sessions (clinic_id, patient_id, started_at_us);

CREATE TABLE vitals (
  clinic_id  TEXT COLLATE "C" NOT NULL,
  id         TEXT COLLATE "C" NOT NULL,
  session_id TEXT COLLATE "C" NOT NULL,
  at_us      BIGINT NOT NULL,
  kind       TEXT NOT NULL CHECK (kind IN ('sbp', 'dbp', 'hr', 'spo2', 'rr')),
  value      DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (clinic_id, id),
  FOREIGN KEY (clinic_id, session_id) REFERENCES sessions (clinic_id, id)
);
CREATE INDEX vitals_by_session ON vitals (clinic_id, session_id, at_us);

CREATE TABLE assessments (
  clinic_id       TEXT COLLATE "C" NOT NULL,
  id              TEXT COLLATE "C" NOT NULL,
  patient_id      TEXT COLLATE "C" NOT NULL,
  session_id      TEXT COLLATE "C",
  at_us           BIGINT NOT NULL,
  instrument      TEXT NOT NULL,
  item_scores     TEXT NOT NULL,
  total           INTEGER NOT NULL CHECK (total >= 0),
  scoring_version TEXT NOT NULL,
  PRIMARY KEY (clinic_id, id),
  FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
  FOREIGN KEY (clinic_id, session_id) REFERENCES sessions (clinic_id, id)
);
CREATE INDEX assessments_by_patient ON assessments (clinic_id, patient_id, at_us);

CREATE TABLE adverse_events (
  clinic_id    TEXT COLLATE "C" NOT NULL,
  id           TEXT COLLATE "C" NOT NULL,
  session_id   TEXT COLLATE "C" NOT NULL,
  at_us        BIGINT NOT NULL,
  type         TEXT NOT NULL,
  severity     TEXT NOT NULL CHECK (severity IN ('mild', 'moderate', 'severe', 'life_threatening')),
  rescue_given TEXT NOT NULL,
  PRIMARY KEY (clinic_id, id),
  FOREIGN KEY (clinic_id, session_id) REFERENCES sessions (clinic_id, id)
);
CREATE INDEX adverse_events_by_session ON adverse_events (clinic_id, session_id);

CREATE TABLE overrides (
  clinic_id  TEXT COLLATE "C" NOT NULL,
  id         TEXT COLLATE "C" NOT NULL,
  session_id TEXT COLLATE "C" NOT NULL,
  who        TEXT NOT NULL,
  at_us      BIGINT NOT NULL,
  rule_ids   TEXT NOT NULL,
  reason     TEXT NOT NULL CHECK (reason <> ''),
  PRIMARY KEY (clinic_id, id),
  FOREIGN KEY (clinic_id, session_id) REFERENCES sessions (clinic_id, id)
);
CREATE INDEX overrides_by_session ON overrides (clinic_id, session_id);

CREATE TABLE ledger (
  clinic_id               TEXT COLLATE "C" NOT NULL REFERENCES clinics (clinic_id),
  id                      TEXT COLLATE "C" NOT NULL,
  lot                     TEXT COLLATE "C" NOT NULL,
  kind                    TEXT NOT NULL CHECK (kind IN ('received', 'drawn', 'administered', 'wasted', 'returned')),
  at_us                   BIGINT NOT NULL,
  amount_mg               DOUBLE PRECISION NOT NULL CHECK (amount_mg > 0),
  concentration_mg_per_ml DOUBLE PRECISION NOT NULL CHECK (concentration_mg_per_ml > 0),
  expiry                  TEXT NOT NULL,
  session_id              TEXT COLLATE "C",
  actor                   TEXT NOT NULL,
  witness                 TEXT NOT NULL,
  PRIMARY KEY (clinic_id, id),
  FOREIGN KEY (clinic_id, session_id) REFERENCES sessions (clinic_id, id),
  CHECK (kind <> 'wasted' OR witness <> '')
);
CREATE INDEX ledger_by_lot ON ledger (clinic_id, lot, at_us);

CREATE TABLE audit_log (
  clinic_id   TEXT COLLATE "C" NOT NULL REFERENCES clinics (clinic_id),
  seq         BIGINT NOT NULL CHECK (seq >= 1),
  at_us       BIGINT NOT NULL,
  actor       TEXT NOT NULL,
  action      TEXT NOT NULL,
  entity      TEXT NOT NULL,
  entity_id   TEXT NOT NULL,
  before_text TEXT NOT NULL,
  after_text  TEXT NOT NULL,
  prev_hash   TEXT NOT NULL,
  hash        TEXT NOT NULL,
  PRIMARY KEY (clinic_id, seq)
);

-- Append-only tables. The triggers stop casual edits; the hash chain
-- detects deliberate ones (registry/audit.h).
CREATE FUNCTION kira_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION kira_append_only();
CREATE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE ON ledger
  FOR EACH ROW EXECUTE FUNCTION kira_append_only();
