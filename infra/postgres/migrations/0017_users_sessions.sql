-- People log in (password or a one-time link printed by the CLI) and get a session cookie;
-- only digests of passwords (scrypt), link tokens and session tokens are stored.
CREATE TABLE app_user (
    username       text PRIMARY KEY,
    person_id      text NOT NULL,
    role           text NOT NULL CHECK (role IN ('hq_admin', 'manager', 'rep', 'auditor')),
    unit_id        text NOT NULL,
    password_hash  text,
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE login_link (
    token_hash  text PRIMARY KEY,
    username    text NOT NULL REFERENCES app_user (username) ON DELETE CASCADE,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);

CREATE TABLE user_session (
    token_hash  text PRIMARY KEY,
    username    text NOT NULL REFERENCES app_user (username) ON DELETE CASCADE,
    csrf_token  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX user_session_expiry_idx ON user_session (expires_at);
