"""The explorer's web application (Starlette) and its server (uvicorn).

Why Starlette and plain HTML: the page is a form, a progress bar, figures and a schematic,
which needs no front-end framework, and the figures are the project's own matplotlib
figures (:mod:`sim.output.plots`), the same files ``run`` writes. Starlette and uvicorn
install in seconds (pure Python, about 1 MB with their dependencies, against tens to
hundreds of MB for Panel/Bokeh, Streamlit or NiceGUI), serve the page's one script and one
stylesheet from the package (nothing from a CDN: the page works offline), and leave the
threads to us: a run goes on in the background, the page polls its progress, and a run
whose page has gone quiet is stopped. ``docs/explorer.md`` has the whole account.

Everything the page sends is checked (:mod:`sim.explorer.settings`); requests name a
scenario by name, a run by number and a figure by a fixed name, never a path. The page is
served with a Content-Security-Policy that allows nothing but this server.
"""

from __future__ import annotations

import io
import json
import socket
import sys
import zipfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib.resources import files
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from sim.explorer import view
from sim.explorer.catalogue import Catalogue
from sim.explorer.runs import Busy, Explorer, Page, Run
from sim.explorer.settings import (
    DEFAULT_REPLICATIONS,
    DEFAULT_SEED,
    MAX_REPLICATIONS,
    MAX_SEED,
    MIN_REPLICATIONS,
    RequestError,
    parse_request,
)
from sim.explorer.watch import watch
from sim.output.results import json_safe
from sim.rng import replication_seeds

MAX_BODY = 64 * 1024  # a run request is a few hundred bytes
STATIC = {"explorer.js": "text/javascript", "explorer.css": "text/css",
          "index.html": "text/html"}
POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
          "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _json(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(json_safe(data), status_code=status)


def _error(message: str, status: int) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _static(name: str) -> Response:
    text = files("sim.explorer").joinpath(f"static/{name}").read_bytes()
    headers = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
    if name == "index.html":
        headers["Content-Security-Policy"] = POLICY
        headers["Referrer-Policy"] = "no-referrer"
    return Response(text, media_type=STATIC[name], headers=headers)


def build_app(explorer: Explorer, allowed_hosts: list[str] | None = None) -> Starlette:
    """The application over ``explorer``; ``allowed_hosts`` are the Host headers it answers
    (default: loopback names only, so a web page elsewhere cannot reach it through DNS
    rebinding)."""

    def page_of(request: Request) -> Page | None:
        return explorer.page(request.path_params["token"])

    def run_of(request: Request) -> tuple[Page | None, Run | None]:
        page = page_of(request)
        if page is None:
            return None, None
        return page, page.run(request.path_params["number"])

    async def index(request: Request) -> Response:
        return _static("index.html")

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC or name == "index.html":
            return _error("no such file", 404)
        return _static(name)

    async def catalogue(request: Request) -> Response:
        return _json({**explorer.catalogue.to_json(), "bounds": {
            "replications": [MIN_REPLICATIONS, MAX_REPLICATIONS],
            "default_replications": DEFAULT_REPLICATIONS, "seed": [0, str(MAX_SEED)],
            "default_seed": DEFAULT_SEED}, "workers": explorer.workers})

    async def open_page(request: Request) -> Response:
        page = explorer.open_page()
        return _json({"page": page.token, "abandoned_after": explorer.abandoned})

    async def status(request: Request) -> Response:
        page = page_of(request)
        if page is None:
            return _error("this page is no longer known to the explorer: reload it", 404)
        return _json({"runs": [r.status() for r in page.runs]})

    async def start(request: Request) -> Response:
        page = page_of(request)
        if page is None:
            return _error("this page is no longer known to the explorer: reload it", 404)
        body = await request.body()
        if len(body) > MAX_BODY:
            return _error(f"the request is larger than {MAX_BODY} bytes", 413)
        try:
            data = json.loads(body or b"null")
            run_request = parse_request(data, explorer.catalogue)
            run = explorer.start(page, run_request)
        except (ValueError, RequestError) as exc:  # JSONDecodeError is a ValueError
            return _error(str(exc), 400)
        except Busy as exc:
            return _error(str(exc), 409)
        return _json({"run": run.status()}, 202)

    async def stop(request: Request) -> Response:
        page = page_of(request)
        if page is None:
            return _error("unknown page", 404)
        run = explorer.stop(page)
        return _json({"run": None if run is None else run.status()})

    async def leave(request: Request) -> Response:
        """The page is closing (navigator.sendBeacon): stop its run at once."""
        page = page_of(request)
        if page is not None:
            explorer.stop(page)
        return Response(status_code=204)

    def results(request: Request) -> Response:
        page, run = run_of(request)
        if page is None or run is None:
            return _error("no such run", 404)
        if run.state != "finished":
            return _json({"run": run.status()})
        return _json(view.results(run, page.previous(run)))

    def figure(request: Request) -> Response:
        _, run = run_of(request)
        name = request.path_params["name"]
        known = {n for n, _ in view.FIGURES}
        if run is None or run.state != "finished" or name not in known:
            return _error("no such figure", 404)
        path = run.folder / "plots" / f"{name}.svg"
        if not path.is_file():
            return _error("no such figure", 404)
        return FileResponse(path, media_type="image/svg+xml",
                            headers={"Cache-Control": "private, max-age=3600"})

    def watched(request: Request) -> Response:
        _, run = run_of(request)
        if run is None or run.state != "finished":
            return _error("no such run", 404)
        seed = replication_seeds(run.request.seed, 1)[0]
        scenario = run.request.scenario_for(run.entry)
        return _json(watch(scenario, seed))

    def download(request: Request) -> Response:
        _, run = run_of(request)
        if run is None or run.state != "finished":
            return _error("no such run", 404)
        buffer = io.BytesIO()
        top = run.folder.name
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(run.folder.rglob("*")):
                if path.is_file():
                    archive.write(path, f"{top}/{path.relative_to(run.folder).as_posix()}")
        return Response(buffer.getvalue(), media_type="application/zip", headers={
            "Content-Disposition": f'attachment; filename="{top}.zip"'})

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        explorer.start_watchdog()
        explorer.warm_up()
        try:
            yield
        finally:
            explorer.close()

    pages = "/api/pages/{token:str}"
    runs = pages + "/runs/{number:int}"
    routes = [
        Route("/", index), Route("/static/{name:str}", static),
        Route("/api/catalogue", catalogue), Route("/api/pages", open_page, methods=["POST"]),
        Route(pages, status), Route(pages + "/runs", start, methods=["POST"]),
        Route(pages + "/stop", stop, methods=["POST"]),
        Route(pages + "/leave", leave, methods=["POST"]),
        Route(runs, results), Route(runs + "/plots/{name:str}.svg", figure),
        Route(runs + "/watch", watched), Route(runs + "/results.zip", download),
    ]
    hosts = allowed_hosts or [*LOOPBACK, "[::1]"]
    return Starlette(routes=routes, lifespan=lifespan,
                     middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=hosts)])


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: a free one), or OSError."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(64)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def address(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def serve(catalogue: Catalogue, sock: socket.socket, workers: int | None = None,
          announce: Callable[[str], None] | None = None) -> None:
    """Serve the explorer on ``sock`` until Ctrl-C (which uvicorn turns into a clean
    shutdown: running batches are stopped, the working folder removed, and then
    ``KeyboardInterrupt`` is raised again for the caller)."""
    import uvicorn

    explorer = Explorer(catalogue, workers)
    host = sock.getsockname()[0]
    hosts = None if host in LOOPBACK else ["*"]
    app = build_app(explorer, hosts)
    config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False,
                            timeout_graceful_shutdown=5)

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if self.started and announce is not None:
                announce(address(sock))

    Server(config).run(sockets=[sock])
    sys.stdout.flush()
