"""Loopback emulators of the hosted try-on providers, with fault injection."""

from .base import Emulator, Fault, FaultSpec, RecordedRequest
from .changeclothes import ChangeClothesEmulator
from .magichour import MagicHourEmulator, SentWebhook
from .vertex import VertexEmulator

__all__ = [
    "ChangeClothesEmulator",
    "Emulator",
    "Fault",
    "FaultSpec",
    "MagicHourEmulator",
    "RecordedRequest",
    "SentWebhook",
    "VertexEmulator",
]
