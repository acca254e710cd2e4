"""Q.850 cause values the stack sends or names in its logs and events."""
from __future__ import annotations

UNALLOCATED_NUMBER = 1
NO_ROUTE_TO_DESTINATION = 3
CHANNEL_UNACCEPTABLE = 6
NORMAL_CLEARING = 16
USER_BUSY = 17
NO_USER_RESPONDING = 18
NO_ANSWER = 19
CALL_REJECTED = 21
NUMBER_CHANGED = 22
DESTINATION_OUT_OF_ORDER = 27
INVALID_NUMBER_FORMAT = 28
RESPONSE_TO_STATUS_ENQUIRY = 30
NORMAL_UNSPECIFIED = 31
NO_CIRCUIT_AVAILABLE = 34
NETWORK_OUT_OF_ORDER = 38
TEMPORARY_FAILURE = 41
SWITCHING_EQUIPMENT_CONGESTION = 42
REQUESTED_CHANNEL_NOT_AVAILABLE = 44
RESOURCE_UNAVAILABLE = 47
BEARER_CAPABILITY_NOT_IMPLEMENTED = 65
INVALID_CALL_REFERENCE = 81
IDENTIFIED_CHANNEL_DOES_NOT_EXIST = 82
INCOMPATIBLE_DESTINATION = 88
INVALID_MESSAGE = 95
MANDATORY_IE_MISSING = 96
MESSAGE_TYPE_NOT_IMPLEMENTED = 97
MESSAGE_NOT_COMPATIBLE_WITH_STATE_OR_TYPE = 98
IE_NOT_IMPLEMENTED = 99
INVALID_IE_CONTENTS = 100
MESSAGE_NOT_COMPATIBLE_WITH_STATE = 101
RECOVERY_ON_TIMER_EXPIRY = 102
PROTOCOL_ERROR = 111
INTERWORKING = 127

CAUSE_TEXT: dict[int, str] = {
    1: "unallocated (unassigned) number", 2: "no route to specified transit network",
    3: "no route to destination", 6: "channel unacceptable", 7: "call awarded and being delivered",
    16: "normal call clearing", 17: "user busy", 18: "no user responding",
    19: "no answer from user (user alerted)", 21: "call rejected", 22: "number changed",
    26: "non-selected user clearing", 27: "destination out of order",
    28: "invalid number format (address incomplete)", 29: "facility rejected",
    30: "response to STATUS ENQUIRY", 31: "normal, unspecified",
    34: "no circuit/channel available", 38: "network out of order", 41: "temporary failure",
    42: "switching equipment congestion", 43: "access information discarded",
    44: "requested circuit/channel not available", 47: "resource unavailable, unspecified",
    57: "bearer capability not authorized", 58: "bearer capability not presently available",
    63: "service or option not available, unspecified", 65: "bearer capability not implemented",
    66: "channel type not implemented", 69: "requested facility not implemented",
    79: "service or option not implemented, unspecified", 81: "invalid call reference value",
    82: "identified channel does not exist", 88: "incompatible destination",
    95: "invalid message, unspecified", 96: "mandatory information element is missing",
    97: "message type non-existent or not implemented",
    98: "message not compatible with call state or message type non-existent or not implemented",
    99: "information element/parameter non-existent or not implemented",
    100: "invalid information element contents", 101: "message not compatible with call state",
    102: "recovery on timer expiry", 111: "protocol error, unspecified",
    127: "interworking, unspecified",
}


def cause_text(value: int) -> str:
    return CAUSE_TEXT.get(value, f"cause {value}")
