"""Files, folders, zip archives → dose reports → database, with quarantine of what fails."""
