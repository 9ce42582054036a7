-- Scheduling meetings: an agenda of projects for a period, the departments' answers and
-- the decisions taken, each with an owner unit and a deadline (SQLite).
CREATE TABLE meeting (
    id             INTEGER PRIMARY KEY,
    year           INTEGER NOT NULL,
    month          INTEGER NOT NULL,
    title          TEXT NOT NULL,
    held_on        TEXT,
    place          TEXT NOT NULL DEFAULT '',
    agenda_filter  TEXT NOT NULL,
    status         TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);

CREATE TABLE meeting_item (
    id           INTEGER PRIMARY KEY,
    meeting_id   INTEGER NOT NULL REFERENCES meeting(id) ON DELETE CASCADE,
    seq          INTEGER NOT NULL,
    project_id   INTEGER NOT NULL REFERENCES project(id) ON DELETE CASCADE,
    light        TEXT NOT NULL,
    answer       TEXT NOT NULL DEFAULT '',
    answered_by  TEXT,
    CONSTRAINT meeting_item_key UNIQUE (meeting_id, project_id)
);
CREATE INDEX meeting_item_meeting_idx ON meeting_item(meeting_id, seq);

CREATE TABLE meeting_decision (
    id             INTEGER PRIMARY KEY,
    item_id        INTEGER NOT NULL REFERENCES meeting_item(id) ON DELETE CASCADE,
    text           TEXT NOT NULL,
    owner_unit_id  INTEGER NOT NULL REFERENCES unit(id),
    deadline       TEXT NOT NULL,
    status         TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    done_at        TEXT
);
CREATE INDEX meeting_decision_item_idx ON meeting_decision(item_id);
