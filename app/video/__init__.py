"""Teleconsultation on the built-in platform: a video room per appointment, its waiting
room, signalling, chat and files shared during the call."""
