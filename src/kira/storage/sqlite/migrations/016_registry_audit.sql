-- The registry's own audit chain (registry/audit.h): security events that
-- belong to no clinic -- a failed log-in for a login that does not exist, a
-- request refused for want of a session -- hash-chained and keyed exactly
-- like a clinic's chain, under the reserved chain id '*registry'. It lives
-- in its own tables because the clinic tables reference clinics, and no
-- clinic's users can read it through the API (the host operator reads it
-- with `kira audit list --registry`).
CREATE TABLE registry_audit_log (
  clinic_id   TEXT NOT NULL CHECK (clinic_id = '*registry'),
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
CREATE TRIGGER registry_audit_log_no_update BEFORE UPDATE ON registry_audit_log
BEGIN
  SELECT RAISE(ABORT, 'registry_audit_log is append-only');
END;
CREATE TRIGGER registry_audit_log_no_delete BEFORE DELETE ON registry_audit_log
BEGIN
  SELECT RAISE(ABORT, 'registry_audit_log is append-only');
END;
CREATE TABLE registry_audit_checkpoints (
  clinic_id  TEXT NOT NULL CHECK (clinic_id = '*registry'),
  seq        INTEGER NOT NULL CHECK (seq >= 1),
  hash       TEXT NOT NULL,
  at_us      INTEGER NOT NULL,
  public_key TEXT NOT NULL,
  signature  TEXT NOT NULL
) STRICT;
CREATE INDEX registry_audit_checkpoints_by_seq ON registry_audit_checkpoints (clinic_id, seq);
-- Ids starting with '*' are reserved for registry-level chains: no clinic
-- may take one (storage/validate.cc refuses it too).
CREATE TRIGGER clinics_reserved_id BEFORE INSERT ON clinics
WHEN substr(NEW.clinic_id, 1, 1) = '*'
BEGIN
  SELECT RAISE(ABORT, 'clinic_id: ids starting with * are reserved');
END;
CREATE TRIGGER clinics_reserved_id_update BEFORE UPDATE OF clinic_id ON clinics
WHEN substr(NEW.clinic_id, 1, 1) = '*'
BEGIN
  SELECT RAISE(ABORT, 'clinic_id: ids starting with * are reserved');
END;
