package kurrentdb

import (
	"encoding/json"
	"strings"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/disputes-ledger/disputes/eventstore"
)

// metaStore marks the events this package writes, in their metadata.
const metaStore = "disputes/eventstore"

// eventMeta is the small JSON object stored as each event's user metadata.
// The envelope itself (actor, command id, hash chain) is the event's data,
// stored byte for byte; the metadata only lets a reader of $all tell the
// store's events from anyone else's and check what the server says.
type eventMeta struct {
	Store     string `json:"store"`
	Namespace string `json:"ns,omitempty"`
	Type      string `json:"type"`
	Revision  uint64 `json:"revision"`
}

func (s *Store) encodeMeta(e eventstore.EventData) []byte {
	b, err := json.Marshal(eventMeta{Store: metaStore, Namespace: s.cfg.Namespace, Type: e.Type, Revision: e.Revision})
	if err != nil {
		panic("kurrentdb: marshal event metadata: " + err.Error()) // plain strings and numbers cannot fail
	}
	return b
}

// toEventData is an event as sent to the server: the ledger's id (so a retry
// is idempotent on the server), its type, the envelope as data and the
// metadata above.
func (s *Store) toEventData(e eventstore.EventData) esdb.EventData {
	ct := esdb.ContentTypeBinary
	if json.Valid(e.Data) {
		ct = esdb.ContentTypeJson // envelopes are JSON; tests also store raw bytes
	}
	return esdb.EventData{EventID: e.ID, EventType: e.Type, ContentType: ct, Data: e.Data, Metadata: s.encodeMeta(e)}
}

// decode returns the ledger event e is, or false if e is not one of this
// store's events (another namespace, another application, a system event).
// Every reader of $all uses this one test, so they all count the same
// events and agree on positions. The Position is left zero.
func (s *Store) decode(e *esdb.RecordedEvent) (eventstore.RecordedEvent, bool) {
	if e == nil || !strings.HasPrefix(e.StreamID, s.cfg.Namespace) || !s.match(e.EventType) {
		return eventstore.RecordedEvent{}, false
	}
	var m eventMeta
	if err := json.Unmarshal(e.UserMetadata, &m); err != nil {
		return eventstore.RecordedEvent{}, false
	}
	if m.Store != metaStore || m.Namespace != s.cfg.Namespace || m.Type != e.EventType || m.Revision != e.EventNumber {
		return eventstore.RecordedEvent{}, false
	}
	return eventstore.RecordedEvent{
		ID:       e.EventID,
		Stream:   e.StreamID[len(s.cfg.Namespace):],
		Revision: e.EventNumber,
		Type:     e.EventType,
		Data:     e.Data,
	}, true
}

// typeMatcher is the client-side twin of the server-side filter, so that
// reads of $all (which client v4 cannot filter) select the same events as
// filtered subscriptions.
type typeMatcher func(eventType string) bool

func newTypeMatcher(prefixes []string) typeMatcher {
	if len(prefixes) == 0 {
		return func(t string) bool { return t != "" && t[0] != '$' }
	}
	return func(t string) bool {
		for _, p := range prefixes {
			if strings.HasPrefix(t, p) {
				return true
			}
		}
		return false
	}
}

// serverFilter is the $all subscription filter on event types.
func serverFilter(prefixes []string) esdb.SubscriptionFilter {
	if len(prefixes) == 0 {
		return *esdb.ExcludeSystemEventsFilter()
	}
	return esdb.SubscriptionFilter{Type: esdb.EventFilterType, Prefixes: prefixes}
}
