"""Create the PostgreSQL database named by a URL if it does not exist (for `make serve`)."""

import sys
from urllib.parse import unquote, urlparse

import psycopg

url = urlparse(sys.argv[1])
name = unquote(url.path.lstrip("/"))
with psycopg.connect(
    host=url.hostname or "127.0.0.1",
    port=url.port or 5432,
    user=url.username or "postgres",
    password=unquote(url.password) if url.password else None,
    dbname="postgres",
    autocommit=True,
) as conn:
    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
        conn.execute(f'CREATE DATABASE "{name}"')
        print(f"created database {name}")
