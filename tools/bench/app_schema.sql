-- The MoodMusic2 app's scripts/schema.sql, as described in
-- shared/reference/moodmusic2-app.md §1: the schema PostgreSQL loads the
-- export into in tools/bench/ingest_vs_pg.py.
--
-- Kept as the app has it, foreign keys included: the benchmark creates the
-- users rows that the export refers to (ids 1..N) before the timed load, so
-- that COPY pays for exactly the constraints and indexes the app's database
-- pays for. (--no-user-fk drops the two user_id foreign keys afterwards.)

CREATE TABLE IF NOT EXISTS users (
    id SERIAL PRIMARY KEY,
    email TEXT UNIQUE,
    display_name TEXT,
    created_at TIMESTAMPTZ DEFAULT NOW()
);

CREATE TABLE IF NOT EXISTS user_requests (
    id SERIAL PRIMARY KEY,
    user_id INT REFERENCES users(id) ON DELETE SET NULL,
    text_description TEXT,
    emojis JSONB,
    num_songs_requested INT NOT NULL DEFAULT 10,
    gemini_analysis JSONB,
    created_at TIMESTAMPTZ DEFAULT NOW()
);

CREATE TABLE IF NOT EXISTS recommended_songs (
    id SERIAL PRIMARY KEY,
    request_id INT NOT NULL REFERENCES user_requests(id) ON DELETE CASCADE,
    user_id INT REFERENCES users(id) ON DELETE SET NULL,
    position INT NOT NULL,
    spotify_track_id TEXT,
    title TEXT NOT NULL,
    artist TEXT,
    album TEXT,
    album_art TEXT,
    preview_url TEXT,
    spotify_url TEXT,
    release_year TEXT,
    duration_ms INT,
    duration_formatted TEXT,
    why_gemini_chose TEXT,
    matched_criteria JSONB,
    created_at TIMESTAMPTZ DEFAULT NOW()
);

CREATE UNIQUE INDEX IF NOT EXISTS idx_recommended_songs_request_position
    ON recommended_songs (request_id, position);
CREATE INDEX IF NOT EXISTS idx_recommended_songs_user_id
    ON recommended_songs (user_id);
