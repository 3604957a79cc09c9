"""Least privilege on PostgreSQL: the role the application runs as cannot rewrite the trail.

The owner (the role that runs `lantern migrate`) owns the tables; the application's role
may read and write the case tables but may only INSERT and SELECT the audit tables: no
UPDATE, DELETE or TRUNCATE, so even a compromised application cannot edit history (and the
triggers and the hash chain cover what a privileged hand might do). `lantern db grants ROLE`
prints these statements; run them as the owner after each migration (they are idempotent).
"""

from __future__ import annotations

import re

AUDIT_TABLES = ("audit_events", "audit_subjects")
_ROLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def grant_statements(role: str, schema: str = "public") -> list[str]:
    """The SQL that gives `role` what the application needs and nothing more on the audit trail."""
    if not _ROLE.match(role) or not _ROLE.match(schema):
        raise ValueError("role and schema must be lower-case SQL identifiers (letters, digits, _)")
    who, where = f'"{role}"', f'"{schema}"'
    audit = ", ".join(f"{where}.{t}" for t in AUDIT_TABLES)
    return [
        f"GRANT USAGE ON SCHEMA {where} TO {who}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {where} TO {who}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {where} TO {who}",
        # The audit trail: append and read only.
        f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {audit} FROM {who}",
        # The schema's version is the owner's business (`lantern serve` only reads it).
        f'REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {where}."alembic_version" FROM {who}',
    ]


def grants_sql(role: str, schema: str = "public") -> str:
    header = (
        f"-- Lantern: least privilege for the application role {role!r} (run as the tables' owner,\n"
        "-- after `lantern migrate`; idempotent). The role itself is created by the operator, e.g.\n"
        f"-- CREATE ROLE {role} LOGIN PASSWORD '...';\n"
    )
    return header + "".join(f"{statement};\n" for statement in grant_statements(role, schema))
