"""Test helpers shared across test packages (the emulator process, seeded credentials)."""
