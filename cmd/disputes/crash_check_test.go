package main

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
)

// crashLog is the crash test's reading of the ledger's log, kept up to
// date between runs of serve (each read takes only the events appended
// since the last).
type crashLog struct {
	path     string
	position uint64
	byKey    map[string][]string // command id → its events' ids, in log order
	stream   map[string]string   // command id → the stream it wrote to
	expiries map[string]int      // "stream deadline due" → deadline.expired events
	types    map[string]int      // event type → events
	events   int
}

func newCrashLog(path string) *crashLog {
	return &crashLog{path: path, byKey: map[string][]string{}, stream: map[string]string{}, expiries: map[string]int{}, types: map[string]int{}}
}

// read takes the events appended since the last read; problems with the
// log itself (a command on two streams) are returned.
func (l *crashLog) read(ctx context.Context) ([]string, error) {
	db, err := sqlite.OpenReadOnlyDB(ctx, l.path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT position, data FROM events WHERE position > ? ORDER BY position`, int64(l.position))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var (
			pos  int64
			data []byte
		)
		if err := rows.Scan(&pos, &data); err != nil {
			return nil, err
		}
		env, err := events.Decode(data)
		if err != nil {
			return nil, fmt.Errorf("position %d: %w", pos, err)
		}
		if uint64(pos) != l.position+1 {
			problems = append(problems, fmt.Sprintf("position %d follows %d", pos, l.position))
		}
		l.position = uint64(pos)
		l.events++
		l.types[env.Type]++
		if s, ok := l.stream[env.CommandID]; ok && s != env.Stream {
			problems = append(problems, fmt.Sprintf("command %s wrote to %s and %s", env.CommandID, s, env.Stream))
		}
		l.stream[env.CommandID] = env.Stream
		if system := strings.HasPrefix(env.CommandID, commands.SystemCommandIDPrefix); system != (env.Actor.Role == events.RoleSystem) {
			problems = append(problems, fmt.Sprintf("position %d: command %s by %s", pos, env.CommandID, env.Actor))
		}
		l.byKey[env.CommandID] = append(l.byKey[env.CommandID], env.ID.String())
		if exp, ok := env.Payload.(events.DeadlineExpired); ok {
			l.expiries[fmt.Sprintf("%s %s %s", env.Stream, exp.Deadline, exp.DueAt.UTC().Format("2006-01-02T15:04:05.000000000Z"))]++
		}
	}
	return problems, rows.Err()
}

// check holds the log against what the clients were told: every command
// acknowledged is there exactly once, with the events it was answered
// with, on its ticket; no refused command wrote anything; every other
// command in the log is the scheduler's or one sent and not answered yet
// (none once settled); and no deadline expired twice.
func (l *crashLog) check(rec *crashRecord, settled bool) []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var problems []string
	for key, ids := range rec.acked {
		got, ok := l.byKey[key]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("acknowledged command %s is not in the log", key))
		case !slices.Equal(got, ids):
			problems = append(problems, fmt.Sprintf("command %s: the log holds events %v, it was answered with %v", key, got, ids))
		case l.stream[key] != events.StreamFor(rec.sent[key].ticket):
			problems = append(problems, fmt.Sprintf("command %s: in %s, sent to ticket %s", key, l.stream[key], rec.sent[key].ticket))
		}
	}
	for key := range l.byKey {
		if _, ok := rec.acked[key]; ok || strings.HasPrefix(key, commands.SystemCommandIDPrefix) {
			continue
		}
		if code, ok := rec.refused[key]; ok {
			problems = append(problems, fmt.Sprintf("command %s was refused (%s) but wrote to the log", key, code))
			continue
		}
		if _, ok := rec.sent[key]; !ok || settled {
			problems = append(problems, fmt.Sprintf("the log holds command %s, never acknowledged", key))
		}
	}
	for k, n := range l.expiries {
		if n > 1 {
			problems = append(problems, fmt.Sprintf("deadline %s expired %d times", k, n))
		}
	}
	sort.Strings(problems)
	return problems
}
