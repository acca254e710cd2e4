"""The agent desk and supervision over live calls (CTI).

``Cti`` (``service.py``) knows every connected conversation (``LiveCall``,
``live.py``), every seat's ringing offer and the agents' log-in, pause and
wrap-up (carried out by the ACD engine through ``AcdRunner``). Agent and
supervisor actions (``firmware.api_desk``, feature codes in ``codes.py``) act
on a conversation's legs, which all live in one media node: an action that
needs one more leg asks the pool for room first and is refused before it
changes anything. Outbound: click-to-call and seat calls (``outbound.py``), the
progressive campaign dialer (``dialer.py``). See docs/design/call-features.md §6.
"""
