"""Shared fixtures: one emulator process per session (seeded from examples/seed.yaml)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.emulator import EmulatorProcess


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    """The shared emulator. Tests that change its state use `fresh_emulator` instead."""
    with EmulatorProcess(tmp_path_factory.mktemp("emulator")) as emu:
        yield emu


@pytest.fixture
def fresh_emulator(emulator: EmulatorProcess) -> EmulatorProcess:
    """The shared emulator reset to the seeded state (store, request log, faults and knobs)."""
    emulator.reset()
    return emulator
