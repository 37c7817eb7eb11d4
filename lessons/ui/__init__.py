"""What several pages share: URL-bound widgets, figure style, page furniture, the page list."""
