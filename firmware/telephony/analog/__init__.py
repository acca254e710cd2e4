"""Analog signalling: FXO lines (PSTN) and FXS ports (agent phones) as table-driven,
sans-I/O state machines fed by the Si3050/Si3217x drivers and the ports' TDM audio."""
from firmware.telephony.analog.fxo import (CallFailed, Connected, Digit, Disconnected, FxoLine,
                                           IncomingCall)
from firmware.telephony.analog.fxs import (FEATURE_CODES, FeatureCode, FxsPort, SeatAnswered,
                                           SeatDigit, SeatFlash, SeatHungUp, SeatOffHook)
from firmware.telephony.analog.ports import AnalogPorts

__all__ = ["FxoLine", "FxsPort", "AnalogPorts", "IncomingCall", "Connected", "Disconnected",
           "CallFailed", "Digit", "FEATURE_CODES", "FeatureCode", "SeatAnswered", "SeatDigit",
           "SeatFlash", "SeatHungUp", "SeatOffHook"]
