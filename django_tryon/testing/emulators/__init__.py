"""Loopback emulators of the hosted try-on providers, with fault injection."""

from .base import Emulator, Fault, FaultSpec, RecordedRequest
from .changeclothes import ChangeClothesEmulator
from .fashn import FashnEmulator, SentCallback
from .magichour import MagicHourEmulator, SentWebhook
from .vertex import VertexEmulator

__all__ = [
    "ChangeClothesEmulator",
    "Emulator",
    "FashnEmulator",
    "Fault",
    "FaultSpec",
    "MagicHourEmulator",
    "RecordedRequest",
    "SentCallback",
    "SentWebhook",
    "VertexEmulator",
]
