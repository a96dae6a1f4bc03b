"""Dashboard and training-page speed on the demo organisation: p50/p95 beside hello-world.

Seeds the demo into a scratch SQLite file (or reuses --database), starts ``engage serve``,
logs in as the demo manager and HR lead, and times sequential requests to ``/dashboard``
(their own default view, and HR's level view), the training pages (follow-through per unit
and a unit's page with its suggestions) and ``/livez`` on the same server.
"""

from __future__ import annotations

import argparse

import httpx
from demo_server import login, seeded_demo, served, summary, timed

from engage import clock
from engage.demo_data import demo_logins


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--database", default=None)
    parser.add_argument("--port", type=int, default=8731)
    args = parser.parse_args()
    _, env = seeded_demo(args.database)
    with served(env, args.port) as base:
        logins = {x.role: x.email for x in demo_logins(clock.today())}
        print(f"demo organisation, {args.requests} sequential requests each (SQLite, 1 worker)")
        with httpx.Client(base_url=base, follow_redirects=True) as client:
            summary("GET /livez (hello-world)", timed(client, "/livez", args.requests))
        with httpx.Client(base_url=base, follow_redirects=True) as manager:
            login(manager, logins["manager"])
            summary("GET /dashboard as a manager", timed(manager, "/dashboard", args.requests))
            summary("GET /training as a manager", timed(manager, "/training", args.requests))
            summary(
                "GET /training/units/L-YORKVILLE",
                timed(manager, "/training/units/L-YORKVILLE", args.requests),
            )
        with httpx.Client(base_url=base, follow_redirects=True) as hr:
            login(hr, logins["hr"])
            summary("GET /dashboard as HR", timed(hr, "/dashboard", args.requests))
            summary("GET /dashboard?level=2 as HR", timed(hr, "/dashboard?level=2", args.requests))
            summary("GET /training as HR", timed(hr, "/training", args.requests))


if __name__ == "__main__":
    main()
