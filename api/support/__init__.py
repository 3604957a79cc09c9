"""Immediate support offered to a young person, recorded offline and synced exactly once."""
