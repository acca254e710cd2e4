"""What a listen change does to the running box: the composition root's half of
``firmware.listen_change`` (its ``Switch``), beside ``firmware/app.py``, whose parts it
moves (so, like it, it may import ``webui.server``).

Moving the SIP edge restarts Kamailio on the new address, and everything that reaches
the edge by its address follows: the media nodes (started again: their dial target and
SIP filter), the SIP trunks, seat dialling and the seat page. Moving the web UI binds a
second web server on the new address beside the old one, which keeps serving until the
change is confirmed (then it stops) or undone (then the new one stops); a server is
stopped a moment after the request that retired it, so that answer still gets out.
"""
from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from firmware.config import Config
from firmware.errors import ListenError
from firmware.listen_change import Listen
from firmware.timers import TIMERS
from webui.server import WebServer

if TYPE_CHECKING:
    from firmware.app import App


class ListenEffects:
    def __init__(self, app: "App", wsgi: Any) -> None:
        self.app = app
        self.wsgi = wsgi
        self.web_old: WebServer | None = None      # kept while a change is pending
        self.retiring: set[WebServer] = set()       # left behind, stopped after a grace

    def refuse(self, to: Listen) -> None:
        """Moving the edge restarts Kamailio and the media nodes, which ends their calls."""
        app = self.app
        if (to.sip_listen, to.sip_port) == (app.cfg.sip.listen, app.cfg.sip.port):
            return
        legs = app.legs_in_use()
        if legs:
            raise ListenError(f"sip_listen: {legs} call legs are up; moving the SIP edge "
                              "restarts it and the media nodes, which would end them: try "
                              "again when the box is idle", "sip_listen", status=409)

    async def switch(self, to: Listen) -> None:
        """Move the running box to ``to``: Kamailio restarted on the new SIP address (the
        media nodes, SIP trunks and seat dialling follow), a web server bound on the new
        web address beside the old one, which serves until the change is settled."""
        cfg = self.app.cfg
        moved = False
        if (to.sip_listen, to.sip_port) != (cfg.sip.listen, cfg.sip.port):
            await self._move_edge(to.applied_to(cfg))
            moved = True
        if (to.web_listen, to.web_port) != (cfg.web.listen, cfg.web.port):
            await self._move_web(to)
            moved = True
        if moved:
            await self.app.reannounce()

    async def _move_edge(self, new: Config) -> None:
        app = self.app
        assert app.edge is not None and app.pool is not None and app.store is not None
        assert app.sip_trunks is not None and app.ctx is not None and app.api is not None
        edge, old = app.edge, app.cfg
        await edge.stop()
        edge.cfg = new
        try:
            await edge.start()
        except Exception:
            edge.cfg = old
            await edge.start()
            raise
        app.cfg = cfg = replace(app.cfg, sip=new.sip)
        address = f"{cfg.sip.listen}:{cfg.sip.port}"
        await app.pool.set_edge(address)
        app.sip_trunks.set_edge_address(address)
        await app.sip_trunks.configure(await app.store.config.trunks())
        app.ctx.cfg = cfg
        app.ctx.seats.follow(cfg)
        app.api.set_site(realm=cfg.sip.realm, sip_host=cfg.sip.listen, sip_port=cfg.sip.port)
        app.bus.publish("system.sip_moved", listen=address)

    async def _move_web(self, to: Listen) -> None:
        app = self.app
        assert app.web is not None
        back = self.web_old
        if back is not None and back.listen == to.web:
            # going back: the previous server never stopped; retire the new one a moment
            # later (the request that asked for it may be on it)
            retired, app.web, self.web_old = app.web, back, None
            self._retire(retired)
        else:
            server = WebServer(self.wsgi, to.web_listen, to.web_port, spools=app.web.spools)
            await asyncio.to_thread(server.start)
            if back is not None:
                await asyncio.to_thread(back.stop, False)
            self.web_old, app.web = app.web, server
        app.cfg = replace(app.cfg, web=replace(app.cfg.web, listen=to.web_listen,
                                               port=to.web_port))
        app.bus.publish("system.web_moved", listen=to.web)

    async def settle(self) -> None:
        """The change is confirmed: the web server on the previous address stops."""
        old, self.web_old = self.web_old, None
        if old is not None:
            self._retire(old)

    def _retire(self, server: WebServer) -> None:
        self.retiring.add(server)
        self.app.clock.call_later(TIMERS["system.answer_grace"],
                                  lambda: self.app._background(self._stop_retired(server)))

    async def _stop_retired(self, server: WebServer) -> None:
        if server in self.retiring:
            self.retiring.discard(server)
            await asyncio.to_thread(server.stop, False)

    async def stop(self) -> None:
        """The daemon stops: every web server this kept or left behind stops too."""
        for server in [self.web_old, *self.retiring]:
            if server is not None:
                await asyncio.to_thread(server.stop, False)
        self.web_old = None
        self.retiring.clear()
