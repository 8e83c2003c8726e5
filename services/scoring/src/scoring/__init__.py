"""Scoring service: grades attempts, keeps standings and live leaderboards."""
