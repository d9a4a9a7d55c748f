"""Real local stand-ins for outside services (a GitHub REST API server)."""
