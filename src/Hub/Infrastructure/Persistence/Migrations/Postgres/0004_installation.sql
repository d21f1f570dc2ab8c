-- One row: this database's identity. Channel histories in Redis remember which database's change sequence
-- they last published, so a database that is reset or restored (its sequences start again) is not mistaken
-- for one whose changes were already pushed.
CREATE TABLE installation (
    id          text        NOT NULL PRIMARY KEY,
    created_at  timestamptz NOT NULL
);
