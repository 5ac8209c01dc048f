package kurrenttest

import (
	"regexp"
	"strings"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// filter is a server-side $all filter on event type or stream name. A nil
// filter lets every event through.
type filter struct {
	onType   bool // event type, else stream name
	prefixes []string
	re       *regexp.Regexp
	// window is the search window: at most this many events are examined
	// between checkpoints (times multiplier); zero when unbounded.
	window     int
	multiplier int
}

func newFilter(o *streams.ReadReq_Options_FilterOptions) (*filter, error) {
	if o == nil {
		return nil, nil
	}
	f := &filter{multiplier: max(int(o.GetCheckpointIntervalMultiplier()), 1)}
	var expr *streams.ReadReq_Options_FilterOptions_Expression
	switch v := o.GetFilter().(type) {
	case *streams.ReadReq_Options_FilterOptions_EventType:
		f.onType, expr = true, v.EventType
	case *streams.ReadReq_Options_FilterOptions_StreamIdentifier:
		expr = v.StreamIdentifier
	default:
		return nil, status.Error(codes.InvalidArgument, "read: filter without an expression")
	}
	f.prefixes = expr.GetPrefix()
	if re := expr.GetRegex(); re != "" {
		compiled, err := regexp.Compile(re)
		if err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "read: filter regex: %v", err)
		}
		f.re = compiled
	}
	if (len(f.prefixes) == 0) == (f.re == nil) {
		return nil, status.Error(codes.InvalidArgument, "read: a filter needs either prefixes or a regex")
	}
	if w, ok := o.GetWindow().(*streams.ReadReq_Options_FilterOptions_Max); ok {
		f.window = int(w.Max)
	}
	return f, nil
}

// match reports whether rec passes the filter. Like the server, a regex
// matches anywhere in the name unless it is anchored.
func (f *filter) match(rec *record) bool {
	if f == nil {
		return true
	}
	subject := rec.stream
	if f.onType {
		subject = rec.metadata["type"]
	}
	if f.re != nil {
		return f.re.MatchString(subject)
	}
	for _, p := range f.prefixes {
		if strings.HasPrefix(subject, p) {
			return true
		}
	}
	return false
}

// checkpointEvery is how many examined events separate two checkpoints of a
// filtered subscription; zero means none are sent.
func (f *filter) checkpointEvery() int {
	if f == nil || f.window == 0 {
		return 0
	}
	return f.window * f.multiplier
}
