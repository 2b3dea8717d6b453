-- The registry's own audit chain (registry/audit.h): security events that
-- belong to no clinic -- a failed log-in for a login that does not exist, a
-- request refused for want of a session -- hash-chained and keyed exactly
-- like a clinic's chain, under the reserved chain id '*registry'. Its own
-- tables, not a partition of audit_log: audit_log and audit_checkpoints
-- reference clinics, and no clinic's users can read this chain through the
-- API (the host operator reads it with `kira audit list --registry`). It is
-- small (coalesced, see docs/server.md), so it is not partitioned.
CREATE TABLE registry_audit_log (
  clinic_id   TEXT COLLATE "C" NOT NULL CHECK (clinic_id = '*registry'),
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
CREATE TRIGGER registry_audit_log_append_only BEFORE UPDATE OR DELETE ON registry_audit_log
  FOR EACH ROW EXECUTE FUNCTION kira_append_only();
CREATE TABLE registry_audit_checkpoints (
  clinic_id  TEXT COLLATE "C" NOT NULL CHECK (clinic_id = '*registry'),
  seq        BIGINT NOT NULL CHECK (seq >= 1),
  hash       TEXT NOT NULL,
  at_us      BIGINT NOT NULL,
  public_key TEXT NOT NULL,
  signature  TEXT NOT NULL
);
CREATE INDEX registry_audit_checkpoints_by_seq ON registry_audit_checkpoints (clinic_id, seq);
-- Ids starting with '*' are reserved for registry-level chains: no clinic
-- may take one (storage/validate.cc refuses it too).
ALTER TABLE clinics ADD CONSTRAINT clinics_reserved_id CHECK (left(clinic_id, 1) <> '*');
