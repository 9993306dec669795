"""Template tags and filters of the Kerma pages."""
