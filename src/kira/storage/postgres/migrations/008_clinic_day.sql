-- kira registry schema, version 8 (postgres): the clinic day. Vital-sign
-- corrections and voids (a reading is never deleted or edited in place),
-- appointments made from saved plans, consent records, esketamine REMS
-- Patient Monitoring Forms, and the opt-in public clinic directory.
-- Lists are newline-separated text.

CREATE TABLE vital_amendments (
  clinic_id      TEXT COLLATE "C" NOT NULL,
  id             TEXT COLLATE "C" NOT NULL,
  session_id     TEXT COLLATE "C" NOT NULL,
  vital_id       TEXT COLLATE "C" NOT NULL,
  kind           TEXT NOT NULL CHECK (kind IN ('void', 'correct')),
  replacement_id TEXT COLLATE "C",
  reason         TEXT NOT NULL CHECK (length(reason) > 0),
  actor          TEXT NOT NULL,
  at_us          BIGINT NOT NULL,
  PRIMARY KEY (clinic_id, id),
  FOREIGN KEY (clinic_id, session_id) REFERENCES sessions (clinic_id, id),
  FOREIGN KEY (clinic_id, vital_id) REFERENCES vitals (clinic_id, id),
  FOREIGN KEY (clinic_id, replacement_id) REFERENCES vitals (clinic_id, id)
);
CREATE INDEX vital_amendments_by_session ON vital_amendments (clinic_id, session_id, at_us);

CREATE TABLE appointments (
  clinic_id       TEXT COLLATE "C" NOT NULL,
  id              TEXT COLLATE "C" NOT NULL,
  patient_id      TEXT COLLATE "C" NOT NULL,
  protocol_id     TEXT NOT NULL,
  chair           TEXT NOT NULL,
  scheduled_at_us BIGINT NOT NULL,
  state           TEXT NOT NULL CHECK (state IN ('booked', 'checked_in', 'discharged', 'cancelled', 'no_show')),
  session_id      TEXT NOT NULL,
  created_by      TEXT NOT NULL,
  updated_at_us   BIGINT NOT NULL,
  discharged_at_us BIGINT,
  discharged_by   TEXT NOT NULL,
  PRIMARY KEY (clinic_id, id),
  FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id)
);
CREATE INDEX appointments_by_time ON appointments (clinic_id, scheduled_at_us);

CREATE TABLE consents (
  clinic_id      TEXT COLLATE "C" NOT NULL,
  id             TEXT COLLATE "C" NOT NULL,
  patient_id     TEXT COLLATE "C" NOT NULL,
  protocol_id    TEXT NOT NULL,
  form_version   TEXT NOT NULL CHECK (length(form_version) > 0),
  signed_on      TEXT NOT NULL,
  witness        TEXT NOT NULL CHECK (length(witness) > 0),
  recorded_by    TEXT NOT NULL,
  recorded_at_us BIGINT NOT NULL,
  PRIMARY KEY (clinic_id, id),
  FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id)
);

CREATE TABLE rems_forms (
  clinic_id              TEXT COLLATE "C" NOT NULL,
  id                     TEXT COLLATE "C" NOT NULL,
  session_id             TEXT COLLATE "C" NOT NULL,
  patient_id             TEXT NOT NULL,
  session_at_us          BIGINT NOT NULL,
  lot                    TEXT NOT NULL,
  concomitant_classes    TEXT NOT NULL,
  bp_pre_sbp             DOUBLE PRECISION,
  bp_pre_dbp             DOUBLE PRECISION,
  bp_40_sbp              DOUBLE PRECISION,
  bp_40_dbp              DOUBLE PRECISION,
  bp_end_sbp             DOUBLE PRECISION,
  bp_end_dbp             DOUBLE PRECISION,
  monitoring_minutes     INTEGER CHECK (monitoring_minutes >= 0),
  sedation               TEXT NOT NULL CHECK (sedation IN ('', 'yes', 'no')),
  dissociation           TEXT NOT NULL CHECK (dissociation IN ('', 'yes', 'no')),
  respiratory_depression TEXT NOT NULL CHECK (respiratory_depression IN ('', 'yes', 'no')),
  notes                  TEXT NOT NULL,
  created_by             TEXT NOT NULL,
  updated_at_us          BIGINT NOT NULL,
  signed_by              TEXT NOT NULL,
  signed_at_us           BIGINT,
  PRIMARY KEY (clinic_id, id),
  UNIQUE (clinic_id, session_id),
  FOREIGN KEY (clinic_id, session_id) REFERENCES sessions (clinic_id, id)
);

CREATE TABLE clinic_listings (
  clinic_id     TEXT COLLATE "C" NOT NULL PRIMARY KEY REFERENCES clinics (clinic_id),
  name          TEXT NOT NULL,
  city          TEXT NOT NULL,
  region        TEXT NOT NULL,
  routes        TEXT NOT NULL,
  contact       TEXT NOT NULL,
  published     INTEGER NOT NULL CHECK (published IN (0, 1)),
  updated_at_us BIGINT NOT NULL
);
