"""Caller ID: FSK (Bell 202 / V.23) demodulation, SDMF/MDMF messages, DTMF caller ID.

Receive with ``CallerIdReceiver`` / ``DtmfCallerIdReceiver``; build and parse
messages with ``CallerIdMessage`` / ``DtmfCallerId``; transmit (FXS ports) with
``acd_core.tonegen.fsk_callerid(bytes(message))``.
"""
from acd_core.callerid.messages import (MDMF_CALL_SETUP, MDMF_MWI, SDMF_CALL_SETUP, SDMF_MWI,
                                        CallerIdError, CallerIdMessage, DtmfCallerId,
                                        DtmfCallerIdCollector)
from acd_core.callerid.receiver import CallerIdReceiver, DtmfCallerIdReceiver

__all__ = ["CallerIdMessage", "CallerIdError", "DtmfCallerId", "DtmfCallerIdCollector",
           "CallerIdReceiver", "DtmfCallerIdReceiver", "SDMF_CALL_SETUP", "SDMF_MWI",
           "MDMF_CALL_SETUP", "MDMF_MWI"]
