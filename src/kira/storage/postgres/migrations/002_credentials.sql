-- kira registry schema, version 2 (PostgreSQL): log-in for `kira serve`.
-- Adds the "researcher" role (de-identified aggregates only) and the
-- credentials table.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
  CHECK (role IN ('clinician', 'nurse', 'pharmacist', 'admin', 'auditor', 'researcher'));

-- Password hashes live apart from users, so no read of users can leak one.
-- login is unique across the registry (logging in is what picks the clinic);
-- on a distributed PostgreSQL (Citus) this small table is a reference table.
CREATE TABLE credentials (
  login         TEXT COLLATE "C" PRIMARY KEY,
  clinic_id     TEXT COLLATE "C" NOT NULL,
  user_id       TEXT COLLATE "C" NOT NULL,
  password_hash TEXT NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
  FOREIGN KEY (clinic_id, user_id) REFERENCES users (clinic_id, id)
);
CREATE UNIQUE INDEX credentials_by_user ON credentials (clinic_id, user_id);
