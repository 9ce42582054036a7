-- Tax paid by a project's enterprise per year (亩均税收), entered on the project page,
-- through the API or the ledger import; and an index for the reserve conversion rate,
-- which looks up the projects that were ever in reserve (PostgreSQL).
CREATE TABLE project_tax (
    project_id  BIGINT NOT NULL REFERENCES project(id) ON DELETE CASCADE,
    year        BIGINT NOT NULL,
    amount      BIGINT NOT NULL CHECK (amount >= 0),
    note        TEXT NOT NULL DEFAULT '',
    entered_by  TEXT NOT NULL,
    entered_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (project_id, year)
);
CREATE INDEX project_tax_year_idx ON project_tax(year);
CREATE INDEX project_stage_log_to_idx ON project_stage_log(to_stage, project_id);
