-- The newest TOTP time step (RFC 6238 T = unix time / 30) each log-in has
-- used. A code is accepted only for a later step, so a code seen by someone
-- else (over a shoulder, in a proxy log) cannot be replayed within its
-- validity window, by this server process or another one on the registry.
ALTER TABLE credentials ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;
