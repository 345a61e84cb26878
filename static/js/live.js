// Placeholder: the live agenda's script (server-sent events) comes with the live part of
// the staff area; the agenda page already loads it.
