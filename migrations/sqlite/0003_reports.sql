-- Monthly reporting: calendar, light rules, periods, reports with versions and photos,
-- stored lights and the in-app inbox (SQLite).
CREATE TABLE calendar_day (
    day   TEXT PRIMARY KEY,
    kind  TEXT NOT NULL,
    name  TEXT NOT NULL DEFAULT ''
);

-- Each change of the rule is a new version; lights keep the version that made them.
CREATE TABLE light_rule (
    version     INTEGER PRIMARY KEY,
    rule        TEXT NOT NULL,
    actor_name  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE report_period (
    id            INTEGER PRIMARY KEY,
    year          INTEGER NOT NULL,
    month         INTEGER NOT NULL,
    deadline      TEXT NOT NULL,
    status        TEXT NOT NULL,
    opened_by     TEXT NOT NULL,
    opened_at     TEXT NOT NULL,
    closed_at     TEXT,
    reminded_at   TEXT,
    CONSTRAINT report_period_month_key UNIQUE (year, month)
);

-- Completed before the project's first report in the system; coordinates in 1e-6 degrees.
ALTER TABLE project ADD COLUMN prior_investment INTEGER NOT NULL DEFAULT 0;
ALTER TABLE project ADD COLUMN lat_e6 INTEGER;
ALTER TABLE project ADD COLUMN lon_e6 INTEGER;

CREATE TABLE report (
    id             INTEGER PRIMARY KEY,
    project_id     INTEGER NOT NULL REFERENCES project(id) ON DELETE CASCADE,
    year           INTEGER NOT NULL,
    month          INTEGER NOT NULL,
    status         TEXT NOT NULL,
    month_amount   INTEGER NOT NULL DEFAULT 0,
    progress_text  TEXT NOT NULL DEFAULT '',
    milestone      TEXT,
    started        BOOLEAN NOT NULL DEFAULT FALSE,
    start_date     TEXT,
    problems       TEXT,
    next_steps     TEXT NOT NULL DEFAULT '[]',
    note           TEXT,
    flags          TEXT NOT NULL DEFAULT '[]',
    late           BOOLEAN NOT NULL DEFAULT FALSE,
    version        INTEGER NOT NULL,
    return_reason  TEXT,
    submitted_at   TEXT,
    submitted_by   TEXT,
    reviewed_at    TEXT,
    reviewed_by    TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    CONSTRAINT report_project_month_key UNIQUE (project_id, year, month)
);
CREATE INDEX report_period_idx ON report(year, month, status);

CREATE TABLE report_version (
    report_id   INTEGER NOT NULL REFERENCES report(id) ON DELETE CASCADE,
    version     INTEGER NOT NULL,
    action      TEXT NOT NULL,
    status      TEXT NOT NULL,
    snapshot    TEXT NOT NULL,
    reason      TEXT,
    actor_name  TEXT NOT NULL,
    at          TEXT NOT NULL,
    PRIMARY KEY (report_id, version)
);

CREATE TABLE report_photo (
    id          INTEGER PRIMARY KEY,
    report_id   INTEGER NOT NULL REFERENCES report(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    mime        TEXT NOT NULL,
    bytes       BLOB NOT NULL,
    size        INTEGER NOT NULL,
    hash        TEXT NOT NULL,
    taken       TEXT,
    lat_e6      INTEGER,
    lon_e6      INTEGER,
    created_at  TEXT NOT NULL
);
CREATE INDEX report_photo_report_idx ON report_photo(report_id);

CREATE TABLE light (
    year          INTEGER NOT NULL,
    month         INTEGER NOT NULL,
    project_id    INTEGER NOT NULL REFERENCES project(id) ON DELETE CASCADE,
    light         TEXT NOT NULL,
    rule_version  INTEGER NOT NULL,
    annual        INTEGER,
    cumulative    INTEGER NOT NULL,
    target        INTEGER,
    ratio_bp      INTEGER,
    lag_bp        INTEGER,
    reasons       TEXT NOT NULL,
    why           TEXT NOT NULL,
    why_en        TEXT NOT NULL,
    inputs        TEXT NOT NULL,
    computed_at   TEXT NOT NULL,
    PRIMARY KEY (year, month, project_id)
);

CREATE TABLE notice (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES app_user(id) ON DELETE CASCADE,
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    link        TEXT,
    created_at  TEXT NOT NULL,
    read_at     TEXT
);
CREATE INDEX notice_user_idx ON notice(user_id, read_at);

INSERT INTO role_permission (role_id, permission)
SELECT r.id, p.permission FROM role r JOIN (
    SELECT 'office' AS code, 'report.write' AS permission UNION ALL SELECT 'office', 'report.review' UNION ALL SELECT 'office', 'report.admin'
    UNION ALL SELECT 'division', 'report.write' UNION ALL SELECT 'division', 'report.review'
    UNION ALL SELECT 'department', 'report.write'
    UNION ALL SELECT 'project_unit', 'report.write'
) p ON p.code = r.code
WHERE r.builtin = TRUE
ON CONFLICT DO NOTHING;
