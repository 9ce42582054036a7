-- The project registry: projects, their team, plans, milestones and stage history (SQLite).
CREATE TABLE project (
    id                   INTEGER PRIMARY KEY,
    code                 TEXT CONSTRAINT project_code_key UNIQUE,
    name                 TEXT NOT NULL,
    level                TEXT NOT NULL,
    category             TEXT NOT NULL,
    nature               TEXT NOT NULL,
    stage                TEXT NOT NULL,
    stage_date           TEXT,
    division_id          INTEGER NOT NULL REFERENCES division(id),
    owner_name           TEXT,
    owner_credit_code    TEXT,
    owner_unit_id        INTEGER REFERENCES unit(id),
    responsible_unit_id  INTEGER REFERENCES unit(id),
    contact_leader_id    INTEGER REFERENCES leader(id),
    plan_doc             TEXT,
    total_investment     INTEGER NOT NULL DEFAULT 0,
    start_year           INTEGER,
    end_year             INTEGER,
    land_mu              INTEGER,
    started              BOOLEAN NOT NULL DEFAULT FALSE,
    start_date           TEXT,
    description          TEXT,
    sort                 INTEGER NOT NULL DEFAULT 0,
    active               BOOLEAN NOT NULL DEFAULT TRUE,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL
);
CREATE INDEX project_division_idx ON project(division_id);
CREATE INDEX project_responsible_idx ON project(responsible_unit_id);
CREATE INDEX project_owner_idx ON project(owner_unit_id);
CREATE INDEX project_sort_idx ON project(sort, id);
CREATE INDEX project_name_idx ON project(division_id, name);

CREATE TABLE project_cooperator (
    project_id  INTEGER NOT NULL REFERENCES project(id) ON DELETE CASCADE,
    unit_id     INTEGER NOT NULL REFERENCES unit(id),
    PRIMARY KEY (project_id, unit_id)
);
CREATE TABLE project_member (
    project_id  INTEGER NOT NULL REFERENCES project(id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    name        TEXT NOT NULL,
    duty        TEXT,
    phone       TEXT,
    PRIMARY KEY (project_id, seq)
);
CREATE TABLE project_tag (
    project_id  INTEGER NOT NULL REFERENCES project(id) ON DELETE CASCADE,
    tag         TEXT NOT NULL,
    PRIMARY KEY (project_id, tag)
);
CREATE INDEX project_tag_tag_idx ON project_tag(tag);

-- Amounts are whole yuan; m1..m12 NULL = no monthly breakdown given.
CREATE TABLE project_plan (
    project_id  INTEGER NOT NULL REFERENCES project(id) ON DELETE CASCADE,
    year        INTEGER NOT NULL,
    annual      INTEGER NOT NULL,
    m1 INTEGER, m2 INTEGER, m3 INTEGER, m4 INTEGER, m5 INTEGER, m6 INTEGER,
    m7 INTEGER, m8 INTEGER, m9 INTEGER, m10 INTEGER, m11 INTEGER, m12 INTEGER,
    mismatch    BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (project_id, year)
);

CREATE TABLE milestone (
    id             INTEGER PRIMARY KEY,
    project_id     INTEGER NOT NULL REFERENCES project(id) ON DELETE CASCADE,
    seq            INTEGER NOT NULL,
    name           TEXT NOT NULL,
    duration_days  INTEGER,
    planned_date   TEXT,
    actual_date    TEXT,
    note           TEXT
);
CREATE INDEX milestone_project_idx ON milestone(project_id, seq);

CREATE TABLE project_stage_log (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES project(id) ON DELETE CASCADE,
    from_stage  TEXT,
    to_stage    TEXT NOT NULL,
    on_date     TEXT NOT NULL,
    note        TEXT,
    actor_name  TEXT NOT NULL,
    at          TEXT NOT NULL
);
CREATE INDEX project_stage_log_idx ON project_stage_log(project_id, id);

-- Extra column names of the ledger import, added by administrators.
CREATE TABLE column_synonym (
    id          INTEGER PRIMARY KEY,
    field       TEXT NOT NULL,
    synonym     TEXT NOT NULL CONSTRAINT column_synonym_synonym_key UNIQUE,
    created_at  TEXT NOT NULL
);

-- Uploaded workbooks between preview and confirmation.
CREATE TABLE import_upload (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES app_user(id),
    file_name   TEXT NOT NULL,
    content     BLOB NOT NULL,
    created_at  TEXT NOT NULL
);

-- Built-in roles of databases created before projects existed gain the project permissions.
INSERT INTO role_permission (role_id, permission)
SELECT r.id, p.permission FROM role r JOIN (
    SELECT 'admin' AS code, 'project.read' AS permission UNION ALL SELECT 'admin', 'project.admin'
    UNION ALL SELECT 'office', 'project.read' UNION ALL SELECT 'office', 'project.write' UNION ALL SELECT 'office', 'project.admin'
    UNION ALL SELECT 'supervision', 'project.read' UNION ALL SELECT 'leader', 'project.read'
    UNION ALL SELECT 'division', 'project.read' UNION ALL SELECT 'division', 'project.write'
    UNION ALL SELECT 'department', 'project.read' UNION ALL SELECT 'department', 'project.write'
    UNION ALL SELECT 'project_unit', 'project.read' UNION ALL SELECT 'project_unit', 'project.write'
    UNION ALL SELECT 'assessor', 'project.read'
) p ON p.code = r.code
WHERE r.builtin = TRUE
ON CONFLICT DO NOTHING;
