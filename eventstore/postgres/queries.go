package postgres

// queries are the store's SQL with its tables' qualified names filled in.
// pgx prepares and caches each one per connection on first use.
type queries struct {
	lockHead, setHead, notify string
	heads, byIDs, insert      string
	forward, backward, all    string
	streamState               string
}

func newQueries(t tables) queries {
	return queries{
		// Locks the head row until the transaction ends: the whole batch,
		// checks included, runs while no other writer can assign positions.
		lockHead: t.expand(`SELECT position FROM {head} FOR UPDATE`),
		setHead:  t.expand(`UPDATE {head} SET position = $1`),
		notify:   `SELECT pg_notify($1, $2)`,
		// One backward index probe per stream rather than max() over the
		// whole stream.
		heads: t.expand(`SELECT s.stream, (SELECT e.revision FROM {events} e WHERE e.stream = s.stream ORDER BY e.revision DESC LIMIT 1)
			FROM unnest($1::text[]) AS s(stream)`),
		byIDs: t.expand(`SELECT id, stream, revision, position FROM {events} WHERE id = ANY($1::uuid[])`),
		insert: t.expand(`INSERT INTO {events} (position, id, stream, revision, type, data)
			SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::bigint[], $5::text[], $6::bytea[])`),

		forward: t.expand(`SELECT position, id, revision, type, data FROM {events}
			WHERE stream = $1 AND revision >= $2 ORDER BY revision LIMIT $3`),
		backward: t.expand(`SELECT position, id, revision, type, data FROM {events}
			WHERE stream = $1 AND revision <= $2 ORDER BY revision DESC LIMIT $3`),
		// Positions are assigned and committed in order (see the package
		// doc), so any snapshot holds a gap-free prefix of the log.
		all: t.expand(`SELECT position, id, stream, revision, type, data FROM {events}
			WHERE position > $1 ORDER BY position LIMIT $2`),
		// Whether the stream exists, and whether it has events in the range
		// a read just found empty, seen in one snapshot.
		streamState: t.expand(`SELECT EXISTS (SELECT 1 FROM {events} WHERE stream = $1),
			EXISTS (SELECT 1 FROM {events} WHERE stream = $1 AND revision BETWEEN $2 AND $3)`),
	}
}
