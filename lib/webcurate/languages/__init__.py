"""Per-language settings (FineWeb-2): stop words, thresholds, language-ID minimum."""
