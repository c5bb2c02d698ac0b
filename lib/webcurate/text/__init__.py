"""Text utilities shared by the filters: word splitting as the reference implementations do it."""
