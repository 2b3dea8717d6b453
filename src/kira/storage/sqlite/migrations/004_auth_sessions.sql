-- kira registry schema, version 4 (SQLite): durable log-ins and account state
-- for `kira serve`.
-- auth_sessions: one row per live log-in session. Only the SHA-256 of the
-- session token is stored, so a copy of this table cannot be replayed.
CREATE TABLE auth_sessions (
  token_hash   TEXT PRIMARY KEY,
  clinic_id    TEXT NOT NULL,
  user_id      TEXT NOT NULL,
  login        TEXT NOT NULL,
  csrf_token   TEXT NOT NULL,
  created_us   INTEGER NOT NULL,
  last_used_us INTEGER NOT NULL,
  expires_us   INTEGER NOT NULL,
  FOREIGN KEY (clinic_id, user_id) REFERENCES users (clinic_id, id)
) STRICT;
CREATE INDEX auth_sessions_by_user ON auth_sessions (clinic_id, user_id);

-- Account state: a disabled credential cannot log in; a reset password must
-- be changed at the next log-in; totp_secret (base32) enables the second factor.
ALTER TABLE credentials ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1));
ALTER TABLE credentials ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0
  CHECK (must_change_password IN (0, 1));
ALTER TABLE credentials ADD COLUMN totp_secret TEXT NOT NULL DEFAULT '';

-- Signed audit checkpoints (registry/audit.h): an Ed25519 signature over
-- (clinic, seq, hash, time) of an audit chain head, written periodically by
-- `kira serve` and on demand; exported copies let `kira audit verify` detect
-- a deleted or truncated tail.
CREATE TABLE audit_checkpoints (
  clinic_id  TEXT NOT NULL REFERENCES clinics (clinic_id),
  seq        INTEGER NOT NULL CHECK (seq >= 1),
  hash       TEXT NOT NULL,
  at_us      INTEGER NOT NULL,
  public_key TEXT NOT NULL,
  signature  TEXT NOT NULL
) STRICT;
CREATE INDEX audit_checkpoints_by_clinic ON audit_checkpoints (clinic_id, seq);
