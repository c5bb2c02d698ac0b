"""Heuristic document filters: pure functions of a document and a config, no Spark inside."""
