-- kira registry schema, version 2 (SQLite): log-in for `kira serve`.
-- Adds the "researcher" role (de-identified aggregates only) and the
-- credentials table. SQLite cannot alter a CHECK constraint, so users is
-- rebuilt (no other table references it).

CREATE TABLE users_v2 (
  clinic_id    TEXT NOT NULL REFERENCES clinics (clinic_id),
  id           TEXT NOT NULL,
  display_name TEXT NOT NULL,
  role         TEXT NOT NULL CHECK (role IN ('clinician', 'nurse', 'pharmacist', 'admin', 'auditor',
                                             'researcher')),
  PRIMARY KEY (clinic_id, id)
) STRICT;
INSERT INTO users_v2 (clinic_id, id, display_name, role)
  SELECT clinic_id, id, display_name, role FROM users;
DROP TABLE users;
ALTER TABLE users_v2 RENAME TO users;

-- Password hashes live apart from users, so no read of users can leak one.
-- login is unique across the registry: logging in is what picks the clinic.
CREATE TABLE credentials (
  login         TEXT PRIMARY KEY,
  clinic_id     TEXT NOT NULL,
  user_id       TEXT NOT NULL,
  password_hash TEXT NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
  FOREIGN KEY (clinic_id, user_id) REFERENCES users (clinic_id, id)
) STRICT;
CREATE UNIQUE INDEX credentials_by_user ON credentials (clinic_id, user_id);
