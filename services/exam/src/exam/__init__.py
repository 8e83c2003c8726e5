"""Exam service: contests, rounds, question banks and participants' attempts."""
