"""Rules about sites: opening hours and the public directory."""
