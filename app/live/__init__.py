"""Open agendas updated live: changes committed anywhere reach every open agenda of the
clinic within a second or two, through Litestar's channels plugin (memory on the embedded
default, Redis pub/sub when REDIS_URL is set, so every app instance sees every change) and
server-sent events on /staff/live. An event says only what it touches (practitioners,
sites, days), never who the patient is: the page refetches itself to learn the rest."""
