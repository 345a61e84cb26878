"""Open agendas updated live: changes committed anywhere reach every open agenda of the
clinic within a second or two, through Litestar's channels plugin (memory on the embedded
default, Redis pub/sub when REDIS_URL is set, so every app instance sees every change) and
server-sent events on /staff/live. An event says only what it touches (practitioners,
sites, days), never who the patient is: the page refetches itself to learn the rest.

channels.py   the plugin and its backends (the Redis one survives Redis going away)
touch.py      what a change touches: practitioners, sites, days in the clinic's time zone
notifier.py   the after-commit listener that publishes it on agenda:{clinic_id}
stream.py     /staff/live: the signed-in clinic's events, heartbeats, the session rechecked
server.py     the uvicorn server that ends the streams when it is asked to stop

Each open agenda holds one connection. Over HTTP/1.1 a browser keeps at most six per
host, so a seventh tab of the same clinic would wait: serve the staff area over HTTP/2
(any reverse proxy does) where many agendas stay open in one browser."""
