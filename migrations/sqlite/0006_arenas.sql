-- Arenas: participants, versioned rules (indicators and flag rule as JSON), task-book
-- targets, values entered by named units, bonus and penalty items, stored results with
-- their explanations (revisions), publication, and quarterly photos (SQLite).
CREATE TABLE arena (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL CONSTRAINT arena_code_key UNIQUE,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    task_book   TEXT NOT NULL DEFAULT '',
    sort        INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE arena_participant (
    arena_id  INTEGER NOT NULL REFERENCES arena(id) ON DELETE CASCADE,
    unit_id   INTEGER NOT NULL REFERENCES unit(id),
    PRIMARY KEY (arena_id, unit_id)
);

CREATE TABLE arena_rule (
    arena_id     INTEGER NOT NULL REFERENCES arena(id) ON DELETE CASCADE,
    version      INTEGER NOT NULL,
    from_period  TEXT NOT NULL,
    indicators   TEXT NOT NULL,
    flag_rule    TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (arena_id, version)
);

CREATE TABLE arena_target (
    arena_id   INTEGER NOT NULL REFERENCES arena(id) ON DELETE CASCADE,
    indicator  TEXT NOT NULL,
    unit_id    INTEGER NOT NULL REFERENCES unit(id),
    year       INTEGER NOT NULL,
    target     INTEGER NOT NULL,
    PRIMARY KEY (arena_id, indicator, unit_id, year)
);

CREATE TABLE arena_entry (
    id           INTEGER PRIMARY KEY,
    arena_id     INTEGER NOT NULL REFERENCES arena(id) ON DELETE CASCADE,
    indicator    TEXT NOT NULL,
    unit_id      INTEGER NOT NULL REFERENCES unit(id),
    period       TEXT NOT NULL,
    value        INTEGER NOT NULL,
    evidence     TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL,
    entered_by   TEXT NOT NULL,
    reviewed_by  TEXT,
    created_at   TEXT NOT NULL,
    CONSTRAINT arena_entry_key UNIQUE (arena_id, indicator, unit_id, period)
);

CREATE TABLE arena_adjustment (
    id          INTEGER PRIMARY KEY,
    arena_id    INTEGER NOT NULL REFERENCES arena(id) ON DELETE CASCADE,
    period      TEXT NOT NULL,
    unit_id     INTEGER NOT NULL REFERENCES unit(id),
    milli       INTEGER NOT NULL,
    reason      TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX arena_adjustment_idx ON arena_adjustment(arena_id, period);

CREATE TABLE arena_result (
    arena_id      INTEGER NOT NULL REFERENCES arena(id) ON DELETE CASCADE,
    period        TEXT NOT NULL,
    revision      INTEGER NOT NULL,
    rule_version  INTEGER NOT NULL,
    result        TEXT NOT NULL,
    computed_by   TEXT NOT NULL,
    computed_at   TEXT NOT NULL,
    published_at  TEXT,
    PRIMARY KEY (arena_id, period, revision)
);

CREATE TABLE arena_photo (
    id          INTEGER PRIMARY KEY,
    arena_id    INTEGER NOT NULL REFERENCES arena(id) ON DELETE CASCADE,
    period      TEXT NOT NULL,
    unit_id     INTEGER NOT NULL REFERENCES unit(id),
    caption     TEXT NOT NULL DEFAULT '',
    mime        TEXT NOT NULL,
    content     BLOB NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX arena_photo_idx ON arena_photo(arena_id, period);

-- Narrow covering indexes for the arena aggregates: a month's lights joined to their
-- project's division, owner and land, and the start and completion counts, without
-- reading the wide project rows.
CREATE INDEX project_arena_idx ON project(id, division_id, owner_unit_id, land_mu);
CREATE INDEX project_arena_count_idx ON project(active, division_id, owner_unit_id, start_year, started, end_year, stage);

INSERT INTO role_permission (role_id, permission)
SELECT r.id, p.permission FROM role r JOIN (
    SELECT 'office' AS code, 'arena.admin' AS permission
    UNION ALL SELECT 'division', 'arena.write' UNION ALL SELECT 'department', 'arena.write'
    UNION ALL SELECT 'office', 'arena.write'
) p ON p.code = r.code
WHERE r.builtin = TRUE
ON CONFLICT DO NOTHING;
