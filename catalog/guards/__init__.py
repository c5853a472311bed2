"""One module per risk: outbound fetches (outbound), spreadsheet cells (cells), text (text)."""
