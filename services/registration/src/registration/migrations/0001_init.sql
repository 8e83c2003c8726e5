CREATE TABLE units (
    code text PRIMARY KEY,
    name text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('province', 'district', 'commune', 'department', 'organisation')),
    parent_code text REFERENCES units (code),
    headcount integer NOT NULL CHECK (headcount >= 0),
    path text[] NOT NULL
);
CREATE INDEX units_parent ON units (parent_code);

CREATE TABLE participants (
    id text PRIMARY KEY,
    full_name text NOT NULL,
    phone text NOT NULL UNIQUE,
    email text,
    birth_year integer NOT NULL,
    unit_code text NOT NULL REFERENCES units (code),
    category text NOT NULL,
    role text NOT NULL DEFAULT 'participant',
    password_hash text NOT NULL,
    consented_at timestamptz NOT NULL,
    registered_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX participants_email ON participants (lower(email)) WHERE email IS NOT NULL;
CREATE INDEX participants_unit ON participants (unit_code);
