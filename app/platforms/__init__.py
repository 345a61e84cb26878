"""External integrated video platforms (Reacts-style, SPEC §9): one adapter interface,
the platform's HTTP client, its sessions kept per appointment, the job that creates and
cancels them with retries, and its signed "patient connected" webhook."""
