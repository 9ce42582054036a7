-- Organisation, access, sessions and the audit chain (SQLite).
CREATE TABLE division (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL CONSTRAINT division_code_key UNIQUE,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    parent_id   INTEGER REFERENCES division(id),
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX division_parent_idx ON division(parent_id);

CREATE TABLE unit (
    id                   INTEGER PRIMARY KEY,
    code                 TEXT NOT NULL CONSTRAINT unit_code_key UNIQUE,
    name                 TEXT NOT NULL,
    kind                 TEXT NOT NULL,
    division_id          INTEGER NOT NULL REFERENCES division(id),
    parent_id            INTEGER REFERENCES unit(id),
    governs_division_id  INTEGER CONSTRAINT unit_governs_division_id_key UNIQUE REFERENCES division(id),
    credit_code          TEXT,
    active               BOOLEAN NOT NULL DEFAULT TRUE,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL
);
CREATE INDEX unit_parent_idx ON unit(parent_id);
CREATE INDEX unit_division_idx ON unit(division_id);

CREATE TABLE app_user (
    id                    INTEGER PRIMARY KEY,
    username              TEXT NOT NULL CONSTRAINT app_user_username_key UNIQUE,
    name                  TEXT NOT NULL,
    unit_id               INTEGER NOT NULL REFERENCES unit(id),
    phone                 TEXT,
    password_hash         TEXT NOT NULL,
    must_change_password  BOOLEAN NOT NULL DEFAULT FALSE,
    failed_logins         INTEGER NOT NULL DEFAULT 0,
    locked_until          TEXT,
    last_login_at         TEXT,
    active                BOOLEAN NOT NULL DEFAULT TRUE,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL
);
CREATE INDEX app_user_unit_idx ON app_user(unit_id);

CREATE TABLE leader (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    title       TEXT NOT NULL,
    unit_id     INTEGER NOT NULL REFERENCES unit(id),
    user_id     INTEGER REFERENCES app_user(id),
    sort        INTEGER NOT NULL DEFAULT 0,
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE role (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL CONSTRAINT role_code_key UNIQUE,
    name        TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    data_scope  TEXT NOT NULL,
    builtin     BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE TABLE role_permission (
    role_id     INTEGER NOT NULL REFERENCES role(id) ON DELETE CASCADE,
    permission  TEXT NOT NULL,
    PRIMARY KEY (role_id, permission)
);
CREATE TABLE role_unit (
    role_id  INTEGER NOT NULL REFERENCES role(id) ON DELETE CASCADE,
    unit_id  INTEGER NOT NULL REFERENCES unit(id),
    PRIMARY KEY (role_id, unit_id)
);
CREATE TABLE user_role (
    user_id  INTEGER NOT NULL REFERENCES app_user(id),
    role_id  INTEGER NOT NULL REFERENCES role(id),
    PRIMARY KEY (user_id, role_id)
);

CREATE TABLE session (
    token_hash    TEXT PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES app_user(id),
    csrf_token    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL,
    ip            TEXT NOT NULL,
    user_agent    TEXT NOT NULL
);
CREATE INDEX session_user_idx ON session(user_id);

CREATE TABLE api_token (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES app_user(id),
    name          TEXT NOT NULL,
    token_hash    TEXT NOT NULL CONSTRAINT api_token_token_hash_key UNIQUE,
    created_at    TEXT NOT NULL,
    last_used_at  TEXT,
    revoked_at    TEXT
);

-- Ids are assigned by the application under the write lock: they are the chain order.
CREATE TABLE audit_log (
    id             INTEGER PRIMARY KEY,
    at             TEXT NOT NULL,
    actor_id       INTEGER,
    actor_name     TEXT NOT NULL,
    actor_unit_id  INTEGER,
    ip             TEXT NOT NULL,
    action         TEXT NOT NULL,
    entity         TEXT NOT NULL,
    entity_id      TEXT NOT NULL,
    before_json    TEXT,
    after_json     TEXT,
    prev_hash      TEXT NOT NULL,
    hash           TEXT NOT NULL
);
CREATE INDEX audit_log_entity_idx ON audit_log(entity, entity_id);
CREATE INDEX audit_log_at_idx ON audit_log(at);
