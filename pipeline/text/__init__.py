"""Text helpers with no models: sentences, language id, amounts and dates, names and quotes, checks."""
